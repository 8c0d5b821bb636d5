"""Strings of the bidder's result page and of the result notices."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "result.title": ("投标结果", "My result"),
    "result.view": ("查看投标结果", "My result"),
    "result.back_lot": ("返回标段", "Back to the lot"),
    "result.lot_page": ("标段公开页", "Public lot page"),
    "result.hall": ("开标大厅（确认或异议）", "Opening hall (confirm or object)"),
    "result.stage": ("进度", "Stage"),
    "result.stage.evaluating": ("评标中", "Under evaluation"),
    "result.stage.publicity": ("中标候选人公示中", "Candidates publicity"),
    "result.stage.awarded": ("已定标", "Awarded"),
    "result.stage.failed": ("本标段流标", "This lot failed"),
    "result.stage.cancelled": ("本标段已终止", "This lot was cancelled"),
    "result.evaluating_note": (
        "评标结果公布前，不显示排名、得分及评审意见。",
        "Nothing of the evaluation is shown before it is published.",
    ),
    "result.won": ("中标", "Awarded to you"),
    "result.lost": ("未中标", "Not awarded to you"),
    "result.candidate": ("贵方为中标候选人", "You are a candidate"),
    "result.not_candidate": ("贵方未被推荐为中标候选人", "You are not among the candidates"),
    "result.rejected": ("贵方投标被否决", "Your bid was rejected"),
    "result.opening": ("开标结果", "At the opening"),
    "result.outcome": ("解密结果", "Decryption"),
    "result.cause": ("原因", "Cause"),
    "result.price": ("投标报价（元）", "Bid price (yuan)"),
    "result.evaluation": ("评标结果", "Evaluation"),
    "result.qualification": ("资格及符合性审查", "Qualification"),
    "result.qualified": ("通过", "Passed"),
    "result.not_qualified": ("否决", "Rejected"),
    "result.reasons": ("否决理由", "Reasons for the rejection"),
    "result.no_reasons": ("评标结果未载明理由", "The evaluation states no reason"),
    "result.not_evaluated": (
        "投标文件未解密，未进入评审",
        "The bid was not decrypted and was not evaluated",
    ),
    "result.rank": ("排名", "Rank"),
    "result.of_candidates": ("中标候选人共", "of"),
    "result.persons": ("名", "candidates"),
    "result.total": ("得分", "Score"),
    "result.evaluated_price": ("评标价（元）", "Evaluated price (yuan)"),
    "result.publicity_ends": ("公示期至", "Publicity runs until"),
    "result.award": ("定标结果", "Award"),
    "result.award_price": ("中标价（元）", "Award price (yuan)"),
    "result.letter": ("通知书", "Letter"),
    "result.download": ("下载 PDF", "Download PDF"),
    "result.letter_digest": ("通知书 SHA-256", "Letter SHA-256"),
    "result.announcements": ("相关公告", "Announcements"),
    "result.failure": ("流标原因", "Why the lot failed"),
    "notice.candidates": ("中标候选人公示", "Candidates published"),
    "notice.bid_rejected": ("投标被否决", "Bid rejected"),
    "notice.result": ("中标结果", "Result"),
}

register(MESSAGES)
