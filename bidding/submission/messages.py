"""The bidder workspace's strings that the kernel's table does not hold."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "bidder.notices": ("通知", "Notices"),
    "bidder.notices_note": (
        "答疑、澄清与变更、开标提醒，以及中标通知书和中标结果通知书（PDF）。",
        "Answers, amendments, opening reminders, and the notices of award and of the result (PDF).",
    ),
    "bidder.notices_none": ("暂无通知", "No notices yet"),
    "bidder.notice_at": ("时间", "Time"),
    "bidder.notice_kind": ("类别", "Kind"),
    "bidder.notice_text": ("内容", "Content"),
    "bidder.notice_pdf": ("下载PDF", "Download PDF"),
    "notice.clarification": ("答疑", "Answer"),
    "notice.amendment": ("澄清/变更", "Amendment"),
    "notice.reminder": ("提醒", "Reminder"),
    "notice.award_letter": ("中标通知书", "Notice of award"),
    "notice.result_letter": ("中标结果通知书", "Notice of the result"),
}
register(MESSAGES)
