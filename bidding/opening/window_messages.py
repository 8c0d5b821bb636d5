"""Strings of check-in (签到), the bidder's own decryption and the hall's roster."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "window.mine.title": ("我的开标", "My part in the opening"),
    "window.mine.checkin": ("签到", "Check in"),
    "window.mine.checked_in": ("已签到", "Checked in"),
    "window.mine.checkin_opens": ("签到开始时间", "Check-in opens at"),
    "window.mine.checkin_closed": ("签到已截止", "Check-in closed"),
    "window.mine.checkin_note": (
        "签到为出席记录，不影响解密（电子招标投标办法 第29条）",
        "Check-in records attendance; it is no condition for decryption (Art. 29)",
    ),
    "window.mine.bid": ("本单位投标", "Our bid"),
    "window.mine.position": ("开标序号", "Position at the opening"),
    "window.mine.decrypt": ("解密本单位投标", "Decrypt our bid"),
    "window.mine.decrypt_note": (
        "在本浏览器中用本单位密钥解开文件密钥并提交平台；私钥不离开浏览器",
        "Unwraps the file key with our key in this browser and releases it; the private key "
        "never leaves the browser",
    ),
    "window.mine.decrypt_until": ("解密截止", "Decrypt by"),
    "window.mine.no_key": (
        "本浏览器中没有本单位的密钥，请先在“密钥”页面导入密钥文件",
        "This browser holds no key of ours: import the key file on the keys page first",
    ),
    "window.mine.keys_link": ("密钥管理", "Keys"),
    "window.mine.decrypting": ("正在解密…", "Decrypting…"),
    "window.mine.decrypted": (
        "已提交文件密钥，投标已解密",
        "File key released: our bid is decrypted",
    ),
    "window.mine.failed": ("解密失败：", "Decryption failed: "),
    "window.bid.active": ("密封中", "Sealed"),
    "window.bid.decrypted": ("已解密", "Decrypted"),
    "window.bid.revoked": ("视为撤销", "Revoked"),
    "window.bid.failed": ("视为撤回", "Withdrawn"),
    "window.roster.title": ("解密进度", "Who has acted"),
    "window.roster.left": ("解密剩余时间", "Decryption time left"),
    "window.roster.ends": ("截止", "ends"),
    "window.roster.over": ("解密时间已到", "Decryption window over"),
    "window.roster.bidder": ("投标人", "Bidder"),
    "window.roster.checked_in": ("签到", "Checked in"),
    "window.roster.decryption": ("解密", "Decryption"),
    "window.roster.custodians": ("开标密钥保管人", "Key custodians"),
    "window.roster.custodian": ("保管人", "Custodian"),
    "window.roster.released": ("已释放", "Released"),
    "window.roster.not_released": ("未释放", "Not released"),
    "window.roster.yes": ("是", "yes"),
    "window.roster.no": ("否", "no"),
    "window.roster.hidden": (
        "开标开始后按序号列出各投标人的签到与解密情况；"
        "名称随开标记录公布（电子招标投标办法 第30条）",
        "Once the opening starts each bid is listed by position with its check-in and "
        "decryption; names come with the record (Art. 30)",
    ),
    "window.desk.checked_in": ("签到", "Checked in"),
}

register(MESSAGES)
