"""Strings of the lot desk's evaluation tab."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "desk.eval.handover": ("移交评标", "Hand over to evaluation"),
    "desk.eval.handover_note": (
        "按招标文件规定的评标方法计算排名；有效投标不足时本标段流标。",
        "Ranks the bids by the lot's evaluation method; too few valid bids fail the lot.",
    ),
    "desk.eval.not_opened": (
        "开标记录公布后方可评标",
        "Evaluation starts once the opening record is published",
    ),
    "desk.eval.method": ("评标方法", "Method"),
    "desk.eval.ranking": ("评标排名", "Ranking"),
    "desk.eval.rank": ("排名", "Rank"),
    "desk.eval.bidder": ("投标人", "Bidder"),
    "desk.eval.price": ("投标报价（元）", "Bid price (yuan)"),
    "desk.eval.evaluated_price": ("评标价（元）", "Evaluated price (yuan)"),
    "desk.eval.total": ("得分", "Score"),
    "desk.eval.excluded": ("否决", "Rejected"),
    "desk.eval.reasons": ("说明", "Reasons"),
    "desk.eval.evaluated_at": ("评标时间", "Evaluated"),
    "desk.eval.publicity": ("中标候选人公示", "Candidates publicity"),
    "desk.eval.publicity_start": ("发布中标候选人公示", "Publish the candidates"),
    "desk.eval.publicity_ends": ("公示期至", "Publicity runs until"),
    "desk.eval.publicity_running": (
        "公示期未满，暂不能定标",
        "The publicity period has not ended: no award yet",
    ),
    "desk.eval.publicity_over": ("公示期已满，可以定标", "The publicity period is over: award now"),
    "desk.eval.award": ("定标", "Award"),
    "desk.eval.award_note": (
        "定标给排名第一的中标候选人，并发布中标结果公告、发出中标通知书。",
        "Awards to the first-ranked candidate, publishes the result and sends the letters.",
    ),
    "desk.eval.awarded": ("已定标", "Awarded"),
    "desk.eval.award_price": ("中标价（元）", "Award price (yuan)"),
    "desk.eval.awarded_at": ("定标时间", "Awarded"),
    "desk.eval.failed": ("本标段流标", "This lot failed"),
    "desk.eval.rule": ("适用规则", "Rule"),
    "desk.eval.done.evaluate": ("已完成评标", "Evaluation done"),
    "desk.eval.done.candidates": ("中标候选人公示已发布", "Candidates published"),
    "desk.eval.done.award": ("已定标，中标结果已公告", "Awarded; the result is published"),
    "desk.eval.none": ("尚无评标结果", "No evaluation yet"),
}

register(MESSAGES)
