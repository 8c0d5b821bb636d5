"""UI strings of the keys card and page (bidders, custodians, experts): import, back up,
revoke. Keys under ``bidder.js.`` reach the card's script in every workspace page."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "keys.title": ("我的密钥", "My keys"),
    "keys.intro": (
        "签名密钥（Ed25519）用于签署投标和声明，加密密钥（X25519）用于接收密封给您的内容（投标人自己的解密凭据、"
        "开标人的密钥分片）。私钥只保存在您的浏览器或您的密钥文件中，平台只登记公钥。",
        "The signing key (Ed25519) signs bids and declarations; the encryption key (X25519) "
        "receives what is sealed to you (a bidder's own decryption stanza, a custodian's key "
        "share). Private keys stay in your browser or your key file; the platform holds only "
        "the public halves.",
    ),
    "keys.registered": ("平台当前登记的公钥", "The public keys the platform holds now"),
    "keys.card_intro": (
        "签名密钥（Ed25519）与加密密钥（X25519）保存在本浏览器中，平台只登记公钥并签发证书。"
        "请导出备份（口令加密的密钥文件，与 bidhall 客户端通用），或导入客户端的密钥文件；"
        "清除浏览器数据而无备份会丢失私钥，届时请吊销并重新登记。",
        "Your signing (Ed25519) and encryption (X25519) keys are kept in this browser; the "
        "platform registers the public keys and certifies them. Back them up (a "
        "passphrase-encrypted key file, the bidhall CLI's format) or import the CLI's key file; "
        "clearing the browser's data without a backup loses them: then revoke and register "
        "new ones.",
    ),
    "keys.import": ("导入密钥文件", "Import a key file"),
    "keys.import_note": (
        "bidhall 客户端（bidhall keys new）或其他浏览器导出的密钥文件，用创建时设定的口令打开；"
        "口令和私钥不会上传。导入后替换本浏览器中保存的密钥。",
        "A key file from the bidhall CLI (bidhall keys new) or exported from another browser, "
        "opened with its passphrase; neither the passphrase nor the private keys are uploaded. "
        "Importing replaces the keys stored in this browser.",
    ),
    "keys.file": ("密钥文件", "Key file"),
    "keys.passphrase": ("口令", "Passphrase"),
    "keys.passphrase_again": ("再次输入口令", "Passphrase again"),
    "keys.import_button": ("导入", "Import"),
    "keys.export": ("备份（导出密钥文件）", "Back up (export a key file)"),
    "keys.export_note": (
        "导出为口令加密的密钥文件，格式与 bidhall 客户端相同，可在客户端或其他浏览器中使用。"
        "请妥善保管文件并牢记口令（至少 8 个字符）：平台无法找回。",
        "Export as a passphrase-encrypted key file, the bidhall CLI's format, usable in the CLI "
        "or another browser. Keep the file safe and remember the passphrase (8 characters or "
        "more): the platform cannot recover it.",
    ),
    "keys.export_button": ("导出密钥文件", "Export the key file"),
    "keys.lost": ("密钥丢失或泄露？", "Lost or exposed key?"),
    "keys.lost_revoke": (
        "吊销当前登记的密钥：此后用它签名的投标一律被拒绝，拾得者无法以您的名义投标。"
        "然后在投标截止前生成或导入并登记新密钥。",
        "Revoke the registered key: from then on anything signed with it is refused, so "
        "whoever finds it cannot bid in your name. Then generate or import and register new "
        "keys before the bid deadline.",
    ),
    "keys.lost_bids": (
        "已提交的投标：每份投标同时密封给标段的开标密钥（由开标人按门限分片保管）和您提交时的密钥。"
        "吊销不改变已提交投标的效力，但丢失的密钥无法在开标时自行解密这些投标：开标人释放足够的分片后，"
        "平台用开标密钥解密；若解密时限结束时分片仍不足，按《电子招标投标办法》第31条因投标人原因视为撤销。"
        "稳妥的做法：截止前用新密钥重新密封并提交新版本（以最后提交的版本为准）。",
        "Bids already submitted are sealed both to the lot's opening key (split among the "
        "custodians, k of n) and to the key you had then. Revoking does not change them, but "
        "without that key you cannot decrypt them yourself at the opening: once enough "
        "custodians release their shares the platform opens them with the opening key; if too "
        "few have when the decryption window ends, 电子招标投标办法 Art. 31 treats the bid as "
        "revoked through the bidder's fault. The safe course: before the deadline, seal and "
        "submit a new version with the new key (the last version counts).",
    ),
    "keys.lost_custodian": (
        "开标人：已发布标段的密钥分片密封给您原来的密钥，吊销后您无法再打开这些分片；开标只需门限数量的"
        "开标人释放分片。之后发布的标段会使用您新登记的密钥。",
        "Custodians: the shares of lots already published are sealed to your old key and you "
        "can no longer open them; the opening needs only the threshold of custodians. Lots "
        "published later use your newly registered key.",
    ),
    "keys.revoke_confirm": ("我确认吊销当前登记的密钥", "I confirm: revoke my registered key"),
    "keys.revoke_button": ("吊销密钥", "Revoke the key"),
    "keys.revoked": (
        "密钥已吊销。请在投标截止前生成或导入并登记新密钥。",
        "Key revoked. Generate or import and register new keys before the bid deadline.",
    ),
    "keys.none_to_revoke": ("当前没有登记的密钥", "No key is registered"),
    "keys.confirm_needed": ("请勾选确认后再吊销", "Tick the confirmation to revoke"),
    "keys.registered_id": ("登记编号", "Registration no."),
    # ---- the card's script (static/js/keys-ui.js) ----
    "bidder.js.keys.imported": (
        "密钥文件已导入本浏览器。",
        "The key file is imported into this browser.",
    ),
    "bidder.js.keys.other": (
        "平台登记的是其他设备或 bidhall 客户端的密钥：请在下方导入该密钥文件（推荐）。"
        "也可生成并登记新密钥，但原密钥将被吊销，密封给它的内容（已提交投标的自有解密凭据、开标人的密钥分片）只能另行处理，"
        "见“密钥丢失或泄露？”。",
        "The platform holds keys from another device or the bidhall CLI: import that key file "
        "below (recommended). You may instead generate and register new keys, but that revokes "
        "the old ones, and what was sealed to them (your own stanza in bids already submitted, "
        "a custodian's key shares) must then be handled otherwise: see Lost or exposed key?",
    ),
    "bidder.js.keys.no_file": ("请选择密钥文件", "Choose a key file"),
    "bidder.js.keys.not_json": (
        "所选文件不是密钥文件（不是 JSON）",
        "That file is not a key file (not JSON)",
    ),
    "bidder.js.keys.mismatch": ("两次输入的口令不一致", "The two passphrases differ"),
    "bidder.js.keys.exported": (
        "密钥文件已生成，请保存下载的文件：",
        "Key file ready; keep the downloaded file:",
    ),
    "bidder.js.keys.not_exportable": (
        "本浏览器的密钥由旧版页面创建，设为不可导出，无法备份。如需备份，请生成新密钥并登记（旧密钥将被吊销）。",
        "These keys were made by an older version of this page as non-exportable and cannot "
        "be backed up. To have a backup, generate and register new keys (the old ones are "
        "revoked).",
    ),
    "bidder.js.keys.working": (
        "正在处理口令（约需一秒）…",
        "Deriving the passphrase key (about a second)…",
    ),
}

register(MESSAGES)
