"""UI strings of the custodian's one-click release (templates/custodian_lot.html and
static/js/custodian.js; keys under ``custody.js.`` reach the script)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "custody.intro": (
        "您持有下列标段开标密钥的一个分片。开标时间到后，在标段页面用您的密钥（本浏览器中的，或导入的密钥文件）"
        "一键打开并释放分片；私钥和口令从不上传到平台。",
        "You hold one share of these lots' opening keys. From the opening time on, open and "
        "release it in one click on the lot's page with your key (kept in this browser, or an "
        "imported key file); your private key and passphrase never reach the platform.",
    ),
    "custody.one_click": ("释放我的密钥分片", "Release my key share"),
    "custody.one_click_note": (
        "浏览器取回密封给您的分片，用您的私钥在本机打开，再提交给平台。默认使用本浏览器中的密钥"
        "（见下方“我的密钥”）；也可选择密钥文件，仅用于本次释放，不保存。",
        "The browser fetches the share sealed to you, opens it here with your private key and "
        "hands it to the platform. It uses the keys kept in this browser (see My keys below); "
        "or choose a key file, used for this release only and not kept.",
    ),
    "custody.key_file": ("密钥文件（可选）", "Key file (optional)"),
    "custody.offline": ("其他方式：命令行或离线电脑", "Other ways: the CLI or an offline computer"),
    "custody.confirm_opening": (
        "已提交，开标进行中：集齐门限数量的分片后平台自动解密，进度见开标大厅。",
        "Released: the opening is under way; decryption starts once the threshold of shares "
        "is in (progress in the hall).",
    ),
    "custody.confirm_opened": (
        "已完成解密，开标记录已公布。",
        "Decryption complete: the opening record is published.",
    ),
    "custody.confirm_other": ("开标已结束，标段状态：", "The opening is over; lot state: "),
    "custody.paste_invalid": (
        "粘贴的内容不是 JSON，无法识别为密钥分片",
        "What was pasted is not JSON: not a key share",
    ),
    "custody.js.working": ("正在取回并打开分片…", "Fetching and opening your share…"),
    "custody.js.sending": ("正在提交分片…", "Releasing the share…"),
    "custody.js.no_key": (
        "本浏览器中没有您的密钥：请在下方“我的密钥”中导入密钥文件，或在此选择密钥文件并输入口令。",
        "No key of yours in this browser: import your key file under My keys below, or choose "
        "a key file here and enter its passphrase.",
    ),
    "custody.js.wrong_key": (
        "这把密钥不是本标段分片密封时所用的密钥（指纹不符），请使用登记时的密钥文件。",
        "This is not the key the share was sealed to (fingerprints differ): use the key file "
        "you registered then.",
    ),
    "custody.js.bad_share": (
        "分片无法用您的密钥打开（分片已损坏或被篡改），请联系交易中心。",
        "The share does not open with your key (damaged or tampered): contact the center.",
    ),
    "custody.js.too_early": (
        "开标时间未到，平台拒绝接受密钥分片。",
        "Not yet the opening time: shares are refused until then.",
    ),
    "custody.js.failed": ("释放失败：", "Release failed: "),
}

register(MESSAGES)
