"""UI strings of clarification requests (澄清) and of 暗标 (anonymous technical bids)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES = {
    "clarify.anonymous.note": (
        "本标段为暗标：技术部分匿名评审，投标人以字母代称，报价与公司信息在定稿后公开。",
        "Anonymous technical evaluation: bidders appear as letters; prices and companies are"
        " shown once the chair finalises.",
    ),
    "clarify.title": ("澄清", "Clarifications"),
    "clarify.link": ("澄清（向投标人提问）", "Clarifications (questions to bidders)"),
    "clarify.back": ("← 返回评标", "← Back to the evaluation"),
    "clarify.note": (
        "澄清不得改变投标文件的实质性内容（招标投标法实施条例 第52条），答复中不含报价。",
        "A clarification may not change the substance of a bid (招标投标法实施条例 第52条);"
        " answers carry no price.",
    ),
    "clarify.none": ("暂无澄清。", "No clarifications yet."),
    "clarify.bidder": ("投标人", "Bidder"),
    "clarify.asked_by": ("提问席位", "Asked by seat"),
    "clarify.question": ("问题", "Question"),
    "clarify.state": ("状态", "State"),
    "clarify.state.proposed": ("待主任发出", "Awaiting the chair"),
    "clarify.state.sent": ("待答复", "Awaiting the answer"),
    "clarify.state.answered": ("已答复", "Answered"),
    "clarify.answer_by": ("答复截止", "Answer by"),
    "clarify.answer": ("答复", "Answer"),
    "clarify.file": ("附件", "File"),
    "clarify.answered_at": ("答复时间", "Answered at"),
    "clarify.ask": ("提出澄清", "Ask a clarification"),
    "clarify.ask.submit": ("提出", "Ask"),
    "clarify.ask.chair_note": (
        "主任委员设定答复截止时间后，问题即发送给投标人。",
        "With the deadline the chair sets, the question goes to the bidder at once.",
    ),
    "clarify.ask.member_note": (
        "问题由主任委员设定截止时间后发给投标人。",
        "The chair sends the question to the bidder with a deadline.",
    ),
    "clarify.send": ("发出", "Send"),
    "clarify.closed": ("评标已定稿或不在评标中，不能再提出澄清。", "The evaluation is closed."),
    "clarify.done.asked": ("已提出澄清。", "Clarification asked."),
    "clarify.done.sent": ("已发给投标人。", "Sent to the bidder."),
    "clarify.done.answered": ("答复已提交。", "Answer submitted."),
    "clarify.local_time": ("时间按 {tz} 填写。", "Times in {tz}."),
    "clarify.bidder.title": ("评标澄清", "Clarification requests"),
    "clarify.bidder.link": (
        "评标澄清（评标委员会的问题）",
        "Clarification requests from the committee",
    ),
    "clarify.bidder.lot": ("标段", "Lot"),
    "clarify.bidder.from": ("评标委员会", "The evaluation committee"),
    "clarify.bidder.submit": ("提交答复（仅一次）", "Submit the answer (once)"),
    "clarify.bidder.late": ("已过答复截止时间。", "The deadline has passed."),
    "clarify.bidder.file_note": (
        "可附一个文件（不超过 10 MiB），平台记录其 SHA-256。",
        "You may attach one file (up to 10 MiB); the platform records its SHA-256.",
    ),
    "notice.eval_clarify": ("评标澄清", "Clarification request"),
}
register(MESSAGES)
