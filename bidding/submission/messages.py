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
    # participation on the bidder lot page (templates/bidder_participation.html)
    "part.title": ("报名与保证金", "Registration and bid security"),
    "part.required": ("本标段须报名后方可投标", "Registration is required to bid"),
    "part.not_required": ("本标段无须报名", "No registration required"),
    "part.registration_closes": ("报名截止", "Registration closes"),
    "part.registration_closed": ("报名已截止", "Registration has closed"),
    "part.register": ("报名", "Register"),
    "part.security_required": (
        "招标文件要求投标保证金",
        "The tender documents require security of",
    ),
    "part.security_none": ("本标段不要求投标保证金", "No bid security required"),
    "part.security_lodged": ("已提交", "Lodged"),
    "part.security_record": ("登记投标保证金", "Record the bid security lodged"),
    "part.security_amount": ("金额（元）", "Amount (yuan)"),
    "part.security_form": ("形式", "Form"),
    "part.security_reference": (
        "凭证编号（转账流水号/保函编号）",
        "Reference (transfer or guarantee no.)",
    ),
    "part.security_submit": ("登记", "Record"),
    "part.form.cash": ("现金（转账）", "Cash (transfer)"),
    "part.form.guarantee": ("银行保函", "Bank guarantee"),
    "part.form.insurance": ("保证保险", "Surety insurance"),
    "part.yuan": ("元", "yuan"),
    "part.may_bid": (
        "已满足本标段的报名与保证金要求，可以密封递交投标文件。",
        "You meet this lot's registration and security requirements: you may seal and submit.",
    ),
    "part.done.registered": (
        "报名成功，现在可以下载招标文件",
        "Registered: the documents are yours to download",
    ),
    "part.done.security": ("投标保证金已登记", "Bid security recorded"),
    "part.done.asked": (
        "问题已提交；答复将向全部报名投标人公布，不公开提问人",
        "Question sent; the answer goes to every registered bidder, without naming you",
    ),
    "part.documents_note": (
        "报名后可下载。下载后浏览器会重新计算 SHA-256，与平台登记的摘要比对。",
        "Download after registering. Your browser recomputes the SHA-256 and compares it "
        "with the digest the platform recorded.",
    ),
    "part.download": ("下载", "Download"),
    "part.download_verify": ("下载并校验摘要", "Download and verify"),
    "part.register_to_download": ("报名后可下载", "Register to download"),
    "part.questions_note": (
        "提问不公开提问人；答复向全部报名投标人公布。",
        "Askers are not named; answers go to every registered bidder.",
    ),
    "part.q": ("问：", "Q:"),
    "part.a": ("答：", "A:"),
    "part.no_answers": ("暂无已公布的答复", "No answers published yet"),
    "part.my_questions": ("我单位的提问", "Our questions"),
    "part.answered": ("已答复", "answered"),
    "part.pending": ("待答复", "awaiting an answer"),
    "part.ask": ("提问", "Your question"),
    "part.ask_submit": ("提交问题", "Send the question"),
    "part.register_to_ask": ("报名后可提问", "Register to ask questions"),
    "part.questions_closed": ("提问已截止", "The question period has ended"),
    # sealing with care (templates/bidder_lot.html, static/js/bidder-lot.js)
    "seal.limits": ("报价上限（平台可记录）", "Highest price the platform records"),
    "seal.ceiling.control_price": ("最高投标限价", "Control price"),
    "seal.ceiling.budget": ("预算金额", "Budget"),
    "seal.ceiling_rejects": ("超出即否决", "a bid above it is rejected"),
    "seal.review": ("核对并密封", "Review and seal"),
    "seal.confirm_title": ("请核对后确认密封", "Check, then confirm sealing"),
    "seal.confirm_note": (
        "确认后将在本浏览器内加密、签名并递交；开标前任何人无法读取，递交后只能以新版本替换。",
        "On confirmation this browser encrypts, signs and submits; nobody can read it before the "
        "opening, and it can only be replaced by a new version.",
    ),
    "seal.empty_warning": (
        "本版本不含任何文件。替换版本生效后，之前版本的文件将不再计入投标。",
        "This version has no files. Once it replaces the earlier version, that version's files "
        "no longer count.",
    ),
    "seal.empty_confirm": ("我确认递交不含文件的版本", "I confirm a version without files"),
    "seal.confirm": ("确认密封并递交", "Confirm: seal and submit"),
    "seal.back": ("返回修改", "Back to edit"),
    "seal.receipt_pdf": ("下载回执（PDF）", "Download the receipt (PDF)"),
    "seal.receipt_json": ("下载签名回执（JSON）", "Download the signed receipt (JSON)"),
    "bidder.js.amount_invalid": (
        "报价须为正数、最多两位小数（如 9100000.00）",
        "The price must be a positive amount with at most 2 decimals (e.g. 9100000.00)",
    ),
    "bidder.js.amount_too_large": (
        "报价超出平台可记录的上限",
        "The price exceeds the highest amount the platform records",
    ),
    "bidder.js.above_ceiling_block": (
        "报价高于{kind}，该投标将被否决，不能密封",
        "The price is above the {kind}: such a bid is rejected and is not sealed",
    ),
    "bidder.js.above_ceiling_warn": (
        "注意：报价高于{kind}，请核对",
        "Note: the price is above the {kind}; please check",
    ),
    "bidder.js.no_files": ("不含文件", "No files"),
    "bidder.js.confirm_empty_needed": (
        "请先勾选确认递交不含文件的版本",
        "Tick the box to confirm a version without files",
    ),
    "bidder.js.doc_checking": ("正在下载并校验", "Downloading and verifying"),
    "bidder.js.doc_ok": ("摘要一致", "Digest matches"),
    "bidder.js.doc_bad": ("摘要不一致，请勿使用该文件", "Digest differs: do not use this file"),
}
register(MESSAGES)
