"""Strings of the lot desk's opening tab and of the custodian workspace's reminders."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "desk.opening.title": ("开标", "Opening"),
    "desk.opening.countdown": ("距开标", "Opening in"),
    "desk.opening.due": ("已到开标时间", "Opening time reached"),
    "desk.opening.custodians": ("开标密钥保管人", "Key custodians"),
    "desk.opening.custodian": ("保管人", "Custodian"),
    "desk.opening.ready": ("密钥就绪", "Key ready"),
    "desk.opening.ready_yes": ("已登记密钥", "Key registered"),
    "desk.opening.ready_no": ("未登记可用密钥", "No usable key"),
    "desk.opening.share": ("密钥分片", "Key share"),
    "desk.opening.released": ("已释放", "Released"),
    "desk.opening.not_released": ("未释放", "Not released"),
    "desk.opening.reminded": ("最近提醒", "Last reminded"),
    "desk.opening.threshold": ("门限进度（已释放 / 需要）", "Threshold (released / needed)"),
    "desk.opening.key_recovered": ("开标密钥已恢复", "Opening key recovered"),
    "desk.opening.key_pending": ("开标密钥尚未恢复", "Opening key not recovered yet"),
    "desk.opening.bidders": ("投标人", "Bidders"),
    "desk.opening.bidders_hidden": (
        "投标截止前不公开投标人及数量（招标投标法第22条）",
        "Who bid, and how many, stay secret until the deadline (Bidding Law art. 22)",
    ),
    "desk.opening.bidders_after": (
        "开标开始后列出投标人；报价在开标记录公布后公开",
        "Bidders are listed once the opening starts; prices appear with the opening record",
    ),
    "desk.opening.bidder": ("投标人", "Bidder"),
    "desk.opening.received": ("投标文件接收时间", "Envelope received"),
    "desk.opening.size": ("大小（字节）", "Size (bytes)"),
    "desk.opening.digest": ("密文摘要", "Ciphertext digest"),
    "desk.opening.status": ("解密状态", "Decryption"),
    "desk.opening.status.active": ("待解密（未提交文件密钥）", "Waiting (file key not delivered)"),
    "desk.opening.status.decrypted": ("已解密", "Decrypted"),
    "desk.opening.status.revoked": ("无法解密（撤销）", "Undecryptable (revoked)"),
    "desk.opening.status.failed": ("无法解密（撤回）", "Undecryptable (withdrawn)"),
    "desk.opening.no_bids": ("没有投标", "No bids"),
    "desk.opening.start": ("开始开标", "Start the opening"),
    "desk.opening.start_note": (
        "到开标时间后系统自动开标；如未自动开始，可在此手动开始。开标时间前不能开标。",
        "The opening starts by itself at the deadline; if it has not, start it here. "
        "Never before the deadline.",
    ),
    "desk.opening.remind": ("提醒未操作人员", "Remind those who have not acted"),
    "desk.opening.remind_note": (
        "向未释放分片的保管人（开标中还包括未提交文件密钥的投标人）发送工作台提醒；每人每",
        "Sends a workspace notice to custodians who have not released their share (and, during "
        "the opening, bidders whose file key is missing); at most once per person every",
    ),
    "desk.opening.minutes": ("分钟最多一次", "minutes"),
    "desk.opening.nobody": ("所有人均已操作，无需提醒", "Everyone has acted: nobody to remind"),
    "desk.opening.hall": ("开标大厅", "Opening hall"),
    "desk.opening.record": ("开标记录", "Opening record"),
    "desk.opening.record_pending": ("开标记录尚未公布", "Opening record not published yet"),
    "desk.opening.failed": ("本标段流标", "This lot failed"),
    "desk.opening.done.started": ("开标已开始", "The opening has started"),
    "desk.opening.done.reminded": ("提醒已发送，人数：", "Reminders sent, people:"),
    "desk.opening.live": ("状态每5秒自动刷新", "Status refreshes every 5 seconds"),
    "custodian.reminders": ("提醒", "Reminders"),
}

register(MESSAGES)
