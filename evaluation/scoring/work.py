"""A seated member's work on a lot (the writes of evaluation/scoring/service.py's desk): the
signed no-conflict declaration, saving and submitting the sheet, the reasons for deviating
scores, and the chair's close. Each checks the seat and the lot's state inside its write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import opened_bids
from crypto.canonical import canonical_json
from evaluation.clarify import anonymity
from evaluation.scoring import signed
from evaluation.scoring.models import ReEvaluation, ScoreSheet, ScoringFinal
from evaluation.scoring.service import (
    DECLARATION,
    WORKING,
    Seat,
    criteria_of,
    desk,
    flags_of,
    seat,
    sheets_of,
    unexplained_of,
    unmask_keys,
)
from evaluation.scoring.sheet import MAX_COMMENT, clean_sheet
from trading.audit import service as audit
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, ValidationFailed


def _open_for_work(s: Seat) -> None:
    if s.final is not None and s.reopened is None:
        raise Conflict(
            "评标已定稿，仅可通过重新评审更改 / the evaluation is finalised; only a recorded"
            " re-evaluation changes it"
        )
    # A re-evaluation may also run after the ranking (before the candidates' publicity).
    working = WORKING | {LotState.EVALUATED} if s.reopened else WORKING
    if s.lot.state not in working:
        raise Conflict(f"标段状态为 {s.lot.state}，不在评标中 / the lot is not being evaluated")


async def declaration_statement(session: AsyncSession, actor: Actor, lot_id: int) -> dict[str, Any]:
    """What the caller signs to declare no conflict on this lot (`Seat.declaration`)."""
    return (await seat(session, actor, lot_id)).declaration


async def declare(
    session: AsyncSession, actor: Actor, lot_id: int, text: str, signature: str, *,
    now: datetime,
) -> ScoreSheet:  # fmt: skip
    """Record the no-conflict declaration: its exact text and the member's Ed25519 signature
    over `Seat.declaration`, verified against their registered key (audited, with the
    signature). Idempotent once made."""
    async with writing(session):
        s = await seat(session, actor, lot_id)
        if s.sheet is not None:
            return s.sheet
        _open_for_work(s)
        text = text.strip()
        if text != DECLARATION:
            raise ValidationFailed("declaration: 请确认承诺书原文 / confirm the declaration's text")
        assert actor.user_id is not None  # seat() requires a signed-in expert
        key = await signed.verify_member(session, actor.user_id, s.declaration, signature)
        sheet = ScoreSheet(
            member_id=s.member.id, committee_id=s.committee.id, declaration=text,
            declared_at=now, qualification={}, scores={}, deviation_reasons={}, updated_at=now,
            declaration_signature=signature, declaration_key_id=key.id,
        )  # fmt: skip
        session.add(sheet)
        await anonymity.assign(session, actor, s.lot, now=now)
        await audit.append(
            session, s.audit_actor, "scoring.declared", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id,
            detail={"position": s.member.position, "declaration": text,
                    "signature": signature, "sign_pub": key.sign_pub},
        )  # fmt: skip
    return sheet


async def save(
    session: AsyncSession,
    actor: Actor,
    lot_id: int,
    qualification: Mapping[str, Any],
    scores: Mapping[str, Any],
    *,
    now: datetime,
    submit: bool = False,
) -> ScoreSheet:
    """Save the caller's draft; with `submit`, check it is complete and make it final."""
    async with writing(session):
        s = await seat(session, actor, lot_id)
        _open_for_work(s)
        if s.sheet is None:
            raise Conflict("请先声明无利害关系 / declare no conflict first")
        if s.sheet.submitted_at is not None:
            raise Conflict("评分已提交，不可更改 / your scores are submitted")
        keys = await unmask_keys(session, s.lot, s.final is not None, [*qualification, *scores])
        qualification = {keys[k]: v for k, v in qualification.items()}
        scores = {keys[k]: v for k, v in scores.items()}
        bids = await opened_bids(session, lot_id)
        try:
            quals, marks = clean_sheet(
                bids, criteria_of(s.lot), qualification, scores, complete=submit
            )
        except ValidationFailed as exc:
            if not s.lot.anonymous_technical:
                raise
            raise anonymity.relabel(exc, await anonymity.labels(session, lot_id)) from None
        s.sheet.qualification = quals
        s.sheet.scores = marks
        s.sheet.updated_at = now
        if submit:
            s.sheet.submitted_at = now
            await audit.append(
                session, s.audit_actor, "scoring.submitted", "lot", lot_id, at=now,
                center_id=s.lot.project.center_id, detail={"position": s.member.position},
            )  # fmt: skip
    return s.sheet


async def explain(
    session: AsyncSession, actor: Actor, lot_id: int, reasons: Mapping[str, str], *, now: datetime
) -> ScoreSheet:
    """The caller's written reasons for their own flagged scores ("bid_id/criterion_id")."""
    async with writing(session):
        d = await desk(session, actor, lot_id)
        s = d.seat
        _open_for_work(s)
        if not d.all_submitted or s.sheet is None:
            raise Conflict("全体专家提交后方可说明偏离 / explain once all have submitted")
        split = {k: k.partition("/") for k in reasons}  # "letter/criterion" while masked
        bid_keys = await unmask_keys(
            session, s.lot, not d.masked, [b for b, _, _ in split.values()]
        )
        given = {f"{bid_keys[b]}/{c}": k for k, (b, _, c) in split.items()}
        reasons = {key: reasons[k] for key, k in given.items()}
        mine = {f"{f.bid_id}/{f.criterion_id}" for f in d.my_flags}
        unknown = sorted(given[k] for k in set(reasons) - mine)  # as given: ids stay hidden
        if unknown:
            raise ValidationFailed(f"reasons: 这些评分未被标记偏离 / not flagged: {unknown}")
        s.sheet.deviation_reasons = {
            **s.sheet.deviation_reasons,
            **{k: str(v).strip()[:MAX_COMMENT] for k, v in reasons.items()},
        }
        s.sheet.updated_at = now
        await audit.append(
            session, s.audit_actor, "scoring.deviation_explained", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id,
            # A digest, not the text: the lot's entries are public once it is opened, and a
            # reason tells of a score (the text is in the report once finalised).
            detail={"position": s.member.position, "reasons_sha256": hashlib.sha256(
                canonical_json({k: str(v) for k, v in reasons.items()})).hexdigest()},
        )  # fmt: skip
    return s.sheet


async def close(session: AsyncSession, actor: Actor, lot_id: int, *, now: datetime) -> Seat:
    """The chair closes the committee's work (or an open re-evaluation): all seated members
    submitted, every deviation explained by its expert. Runs inside the caller's transaction:
    evaluation/report/service.finalise, the one entry point, builds the report with it."""
    s = await seat(session, actor, lot_id)
    _open_for_work(s)
    if not s.is_chair:
        raise Forbidden("仅评标委员会主任可定稿 / only the chair finalises")
    sheets = await sheets_of(session, s.committee.id)
    waiting = [
        m.position for m in s.seated if m.id not in sheets or sheets[m.id].submitted_at is None
    ]
    if waiting:
        raise Conflict(f"尚有专家未提交：{waiting} / members not submitted yet: {waiting}")
    bids = await opened_bids(session, lot_id)
    unexplained = unexplained_of(s, sheets, flags_of(s, sheets, bids, criteria_of(s.lot)))
    if unexplained:
        raise Conflict(
            f"{len(unexplained)} 项偏离评分尚无书面理由"
            f" / {len(unexplained)} deviating scores lack a written reason"
        )
    if s.reopened is None:
        # The primary key makes a second, racing finalisation fail (409).
        s.final = ScoringFinal(
            committee_id=s.committee.id, finalised_by_id=actor.user_id, finalised_at=now
        )
        session.add(s.final)
    else:
        # Compare-and-set: of two racing closings of one re-evaluation, one wins.
        closed = await session.execute(
            update(ReEvaluation)
            .where(ReEvaluation.id == s.reopened.id, ReEvaluation.closed_at.is_(None))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
        if closed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("重新评审已结束 / the re-evaluation is already closed")
        assert s.final is not None and actor.user_id is not None
        s.final.finalised_at, s.final.finalised_by_id = now, actor.user_id
    await session.flush()
    await audit.append(
        session, s.audit_actor, "scoring.finalised", "lot", lot_id, at=now,
        center_id=s.lot.project.center_id,
        detail={"members": len(s.seated),
                "re_evaluation": s.reopened.number if s.reopened else None},
    )  # fmt: skip
    return s
