"""Re-evaluation after finalising (重新评审), only for the cases 87号令 第64条 allows.

Staff of the lot's center or the committee's chair open one with a case and a reason; every
member's sheet goes back to draft so the members correct and resubmit; the chair finalises
again (evaluation/report/service.finalise), which closes it and builds the report's next
version (the old one stays readable). Allowed before the candidates' publicity only: once
candidates are published the publicity would have to be withdrawn first (not built here),
and the award follows it. Audited, with the case, the citation and the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.experts.models import Committee
from evaluation.scoring import service as scoring
from evaluation.scoring.models import ReEvaluation, ScoreSheet, ScoringFinal
from trading.audit import service as audit
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.projects.desk import acting_lot
from trading.projects.models import Lot

CITATION = "政府采购货物和服务招标投标管理办法（财政部令第87号）第六十四条"
# The only cases in which a summed-up evaluation result may be changed (87号令 第64条).
CASES: dict[str, tuple[str, str]] = {
    "sum_error": ("分值汇总计算错误", "the scores were summed up wrongly"),
    "out_of_range": ("分项评分超出评分标准范围", "an item's score is outside the scoring standard"),
    "objective_inconsistent": (
        "评标委员会成员对客观评审因素评分不一致",
        "members scored an objective criterion differently",
    ),
    "extreme": (
        "经评标委员会认定评分畸高、畸低",
        "the committee found a score abnormally high or low",
    ),
}
ALLOWED_STATES = (LotState.OPENED, LotState.EVALUATED)
MAX_REASON = 2000


async def _authorised(session: AsyncSession, actor: Actor, lot_id: int) -> Lot:
    """The chair (a seated member first by position) or the staff acting on the lot."""
    if actor.has(Role.EVALUATOR):
        s = await scoring.seat(session, actor, lot_id)
        if not s.is_chair:
            raise Forbidden("仅评标委员会主任或交易中心可发起重新评审 / only the chair or staff")
        return s.lot
    return await acting_lot(session, lot_id, actor)


async def open_re_evaluation(
    session: AsyncSession, actor: Actor, lot_id: int, case: str, reason: str, *, now: datetime
) -> ReEvaluation:
    """Open a recorded re-evaluation of a finalised committee evaluation (87号令 第64条)."""
    reason = reason.strip()
    if case not in CASES:
        raise ValidationFailed(
            f"case: 仅限{CITATION}规定的情形 / only the cases of 87号令 Art. 64: {sorted(CASES)}"
        )
    if len(reason) < 2:
        raise ValidationFailed("reason: 请写明理由 / give the reason")
    async with writing(session):
        lot = await _authorised(session, actor, lot_id)
        # Lock the lot's row: the candidates' publicity (award.service) waits for this and
        # then refuses while a re-evaluation is open, or this sees the lot in publicity.
        state = await session.scalar(select(Lot.state).where(Lot.id == lot_id).with_for_update())
        committee = await session.scalar(select(Committee).where(Committee.lot_id == lot_id))
        if committee is None or state is None:
            raise NotFound(f"标段 {lot_id} 没有评标委员会 / lot {lot_id} has no committee")
        if await session.get(ScoringFinal, committee.id) is None:
            raise Conflict("评标尚未定稿，专家可直接修改 / not finalised: members still edit")
        if state not in ALLOWED_STATES:
            raise Conflict(
                f"标段状态为 {state}：候选人公示后不可重新评审 / the lot is {state}: no"
                " re-evaluation once the candidates are published"
            )
        if await scoring.open_re_evaluation(session, committee.id) is not None:
            raise Conflict("已有进行中的重新评审 / a re-evaluation is already open")
        count = await session.scalar(
            select(func.count()).where(ReEvaluation.committee_id == committee.id)
        )
        row = ReEvaluation(
            committee_id=committee.id, number=(count or 0) + 1, case=case,
            reason=reason[:MAX_REASON], opened_by_id=actor.user_id, opened_at=now,
        )  # fmt: skip
        session.add(row)
        await session.flush()  # unique (committee, number): of two racing openings one fails
        for sheet in await session.scalars(
            select(ScoreSheet).where(ScoreSheet.committee_id == committee.id)
        ):
            sheet.submitted_at = None  # back to draft: the members correct and resubmit
            sheet.updated_at = now
        # The chair's entry names the seat (experts stay unnamed until the result is out).
        who = (
            (await scoring.seat(session, actor, lot_id)).audit_actor
            if actor.has(Role.EVALUATOR)
            else actor
        )
        await audit.append(
            session, who, "scoring.re_evaluation", "lot", lot_id, at=now,
            center_id=lot.project.center_id,
            detail={"number": row.number, "case": case, "case_text": CASES[case][0],
                    "citation": CITATION, "reason": row.reason},
        )  # fmt: skip
    return row


async def history(session: AsyncSession, lot_id: int) -> list[ReEvaluation]:
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot_id))
    if committee is None:
        return []
    return list(
        await session.scalars(
            select(ReEvaluation)
            .where(ReEvaluation.committee_id == committee.id)
            .order_by(ReEvaluation.number)
        )
    )
