"""Remote independent scoring (评标室): one entry point per use case (API and pages).

A seated member of a lot's committee declares no conflict, then reads the opened bids, decides
qualification per bid (a fail needs a reason) and scores each criterion of every bid within its
maximum, with a comment; drafts are saved until the member submits. Each member sees only their
own sheet; the chair (the first seated member by position) sees who has submitted, never the
numbers. Once every seated member has submitted, a score deviating from the committee mean by
more than the lot's share needs its expert's written reason; then the chair finalises and nothing
changes any more (409). Re-evaluation after finalising is not built here.

The lot's criteria and deviation share live in `lot.evaluation_params` beside the method's
parameters: {"criteria": [{"id", "name", "max_score"}], "deviation_share": "0.20", ...}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import OpenedBid, opened_bids, opened_price_forms
from evaluation.experts.models import Committee, CommitteeMember, Expert
from evaluation.methods.base import BidInput, Criterion, EvaluationError
from evaluation.methods.deviation import DeviationFlag, deviation_flags
from evaluation.scoring.models import ScoreSheet, ScoringFinal
from trading.audit import service as audit
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.kernel.money import as_decimal
from trading.projects.models import Lot
from trading.projects.service import get_lot

# Keys of lot.evaluation_params that belong to scoring, not to the method's Params.
SCORING_KEYS = ("criteria", "deviation_share")
DEFAULT_SHARE = Decimal("0.20")
DECLARATION = (
    "本人承诺与本项目投标人不存在利害关系，独立、客观、公正地评审。"
    " / I declare no conflict of interest with any bidder and will evaluate independently."
)
# Lots whose committee works: opened (scoring) and afterwards (read only).
WORKING = {LotState.OPENED}
READABLE = {LotState.OPENED, LotState.EVALUATED, LotState.PUBLICITY, LotState.AWARDED}
MAX_COMMENT = 2000


def criteria_of(lot: Lot) -> list[Criterion]:
    raw = lot.evaluation_params.get("criteria") or []
    try:
        return [
            Criterion(
                str(c["id"]),
                str(c.get("name", c["id"])),
                as_decimal(c["max_score"], "max_score", strings=True),
            )
            for c in raw
        ]
    except (EvaluationError, KeyError, TypeError) as exc:
        raise Conflict(f"标段评分因素配置有误 / the lot's criteria are malformed: {exc}") from exc


def share_of(lot: Lot) -> Decimal:
    return as_decimal(
        lot.evaluation_params.get("deviation_share", DEFAULT_SHARE), "share", strings=True
    )


def _seated(members: list[CommitteeMember]) -> list[CommitteeMember]:
    return sorted(
        (m for m in members if not m.declined_reason and m.declined_at is None),
        key=lambda m: m.position,
    )


@dataclass
class Seat:
    """The caller's seat on a lot's committee, with what surrounds it."""

    lot: Lot
    committee: Committee
    member: CommitteeMember
    seated: list[CommitteeMember]  # in position order: the order of the published score lists
    sheet: ScoreSheet | None
    final: ScoringFinal | None

    @property
    def is_chair(self) -> bool:
        return self.seated[0].id == self.member.id

    @property
    def index(self) -> int:
        return next(i for i, m in enumerate(self.seated) if m.id == self.member.id)


async def _expert_of(session: AsyncSession, actor: Actor) -> Expert:
    if not actor.has(Role.EVALUATOR) or actor.user_id is None:
        raise Forbidden("需要评标专家角色 / requires the evaluator role")
    expert = await session.scalar(select(Expert).where(Expert.user_id == actor.user_id))
    if expert is None:
        raise Forbidden("您不在专家库中 / you are not in an expert pool")
    return expert


async def seat(session: AsyncSession, actor: Actor, lot_id: int) -> Seat:
    """The caller's seat, or 404 when they sit on no committee of this lot (nothing leaks about
    it) and 403 when they declined."""
    expert = await _expert_of(session, actor)
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot_id))
    members = (
        list(
            await session.scalars(
                select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
            )
        )
        if committee
        else []
    )
    mine = next((m for m in members if m.expert_id == expert.id), None)
    lot = await get_lot(session, lot_id, actor) if mine and committee else None
    if lot is None or committee is None or mine is None or lot.state not in READABLE:
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    seated = _seated(members)
    if mine not in seated:
        raise Forbidden("您已回避本标段 / you declined this lot")
    sheets = await _sheets(session, committee.id)
    return Seat(
        lot, committee, mine, seated, sheets.get(mine.id),
        await session.get(ScoringFinal, committee.id),
    )  # fmt: skip


async def _sheets(session: AsyncSession, committee_id: int) -> dict[int, ScoreSheet]:
    rows = await session.scalars(select(ScoreSheet).where(ScoreSheet.committee_id == committee_id))
    return {s.member_id: s for s in rows}


@dataclass(frozen=True)
class CommitteeRow:
    lot: Lot
    position: int
    is_chair: bool
    declared: bool
    submitted: bool
    finalised: bool


async def my_committees(session: AsyncSession, actor: Actor) -> list[CommitteeRow]:
    """The committees the caller sits on (not declined) whose lots are opened or later."""
    expert = await _expert_of(session, actor)
    rows = await session.execute(
        select(CommitteeMember, Committee)
        .join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(CommitteeMember.expert_id == expert.id, CommitteeMember.declined_at.is_(None))
        .order_by(Committee.id.desc())
    )
    found: list[CommitteeRow] = []
    for member, committee in rows.all():
        lot = await get_lot(session, committee.lot_id, actor)
        if lot.state not in READABLE or member.declined_reason:
            continue
        members = list(
            await session.scalars(
                select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
            )
        )
        sheet = (await _sheets(session, committee.id)).get(member.id)
        final = await session.get(ScoringFinal, committee.id)
        chair = _seated(members)[0].id == member.id
        submitted = bool(sheet and sheet.submitted_at)
        found.append(
            CommitteeRow(lot, member.position, chair, sheet is not None, submitted, bool(final))
        )
    return found


# ---- the desk ----------------------------------------------------------------------------------


@dataclass
class Desk:
    """What the caller's workspace shows for one lot."""

    seat: Seat
    criteria: list[Criterion]
    bids: list[OpenedBid] = field(default_factory=list)  # empty until declared
    price_forms: dict[int, dict[str, Any]] = field(default_factory=dict)
    progress: list[tuple[int, bool]] = field(default_factory=list)  # chair: (position, submitted)
    all_submitted: bool = False
    my_flags: list[DeviationFlag] = field(default_factory=list)
    outstanding: int = 0  # chair: deviations still lacking a reason (counted, not shown)


async def desk(session: AsyncSession, actor: Actor, lot_id: int) -> Desk:
    s = await seat(session, actor, lot_id)
    d = Desk(s, criteria_of(s.lot))
    if s.sheet is None:
        return d  # nothing is visible before the declaration
    d.bids = await opened_bids(session, lot_id)
    d.price_forms = await opened_price_forms(session, lot_id)
    sheets = await _sheets(session, s.committee.id)
    d.all_submitted = all(
        m.id in sheets and sheets[m.id].submitted_at is not None for m in s.seated
    )
    if s.is_chair:
        d.progress = [
            (m.position, m.id in sheets and sheets[m.id].submitted_at is not None) for m in s.seated
        ]
    if d.all_submitted:
        flags = _flags(s, sheets, d.bids, d.criteria)
        d.my_flags = [f for f in flags if f.expert_index == s.index]
        if s.is_chair:
            d.outstanding = len(_unexplained(s, sheets, flags))
    return d


def _flags(
    s: Seat, sheets: Mapping[int, ScoreSheet], bids: list[OpenedBid], criteria: list[Criterion]
) -> list[DeviationFlag]:
    inputs = [
        BidInput(str(b.bid_id), b.bidder, b.price, technical_scores=_scores(s, sheets, b, criteria))
        for b in bids
    ]
    return deviation_flags(inputs, criteria, share_of(s.lot))


def _scores(
    s: Seat, sheets: Mapping[int, ScoreSheet], bid: OpenedBid, criteria: list[Criterion]
) -> dict[str, list[Decimal]]:
    """criterion id → one score per seated member, in position order."""
    key = str(bid.bid_id)
    return {
        c.id: [Decimal(sheets[m.id].scores[key][c.id]["score"]) for m in s.seated] for c in criteria
    }


def _unexplained(
    s: Seat, sheets: Mapping[int, ScoreSheet], flags: list[DeviationFlag]
) -> list[DeviationFlag]:
    return [
        f
        for f in flags
        if not sheets[s.seated[f.expert_index].id]
        .deviation_reasons.get(f"{f.bid_id}/{f.criterion_id}", "")
        .strip()
    ]


# ---- writes ------------------------------------------------------------------------------------


def _open_for_work(s: Seat) -> None:
    if s.final is not None:
        raise Conflict("评标已定稿，不可更改 / the evaluation is finalised; nothing changes")
    if s.lot.state not in WORKING:
        raise Conflict(f"标段状态为 {s.lot.state}，不在评标中 / the lot is not being evaluated")


async def declare(
    session: AsyncSession, actor: Actor, lot_id: int, text: str, *, now: datetime
) -> ScoreSheet:
    """Record the no-conflict declaration (audited, with its text). Idempotent once made."""
    async with writing(session):
        s = await seat(session, actor, lot_id)
        if s.sheet is not None:
            return s.sheet
        _open_for_work(s)
        text = text.strip()
        if text != DECLARATION:
            raise ValidationFailed("declaration: 请确认承诺书原文 / confirm the declaration's text")
        sheet = ScoreSheet(
            member_id=s.member.id, committee_id=s.committee.id, declaration=text,
            declared_at=now, qualification={}, scores={}, deviation_reasons={}, updated_at=now,
        )  # fmt: skip
        session.add(sheet)
        await audit.append(
            session, actor, "scoring.declared", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id,
            detail={"position": s.member.position, "declaration": text},
        )  # fmt: skip
    return sheet


def _clean(
    bids: list[OpenedBid],
    criteria: list[Criterion],
    qualification: Mapping[str, Any],
    scores: Mapping[str, Any],
    *,
    complete: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a sheet; with `complete`, every bid decided and every criterion scored."""
    known = {str(b.bid_id) for b in bids}
    by_id = {c.id: c for c in criteria}
    errors: list[str] = []
    quals: dict[str, Any] = {}
    for key, q in qualification.items():
        if key not in known:
            errors.append(f"qualification.{key}: 无此投标 / no such bid")
            continue
        passed = q.get("pass") if isinstance(q, Mapping) else None
        if passed is None:
            continue  # undecided draft
        reason = str(q.get("reason") or "").strip()[:MAX_COMMENT]
        if not passed and not reason:
            errors.append(f"qualification.{key}.reason: 不通过须写明理由 / a fail needs a reason")
        quals[key] = {"pass": bool(passed), "reason": reason}
    marks: dict[str, Any] = {}
    for key, per in scores.items():
        if key not in known or not isinstance(per, Mapping):
            errors.append(f"scores.{key}: 无此投标 / no such bid")
            continue
        for cid, entry in per.items():
            criterion = by_id.get(cid)
            raw = entry.get("score") if isinstance(entry, Mapping) else None
            if criterion is None:
                errors.append(f"scores.{key}.{cid}: 无此评分因素 / no such criterion")
                continue
            if raw in (None, ""):
                continue
            try:
                score = as_decimal(raw, "score", strings=True)
            except EvaluationError:
                errors.append(f"scores.{key}.{cid}: 应为数字 / must be a number")
                continue
            if not 0 <= score <= criterion.max_score:
                errors.append(
                    f"scores.{key}.{cid}: 应在 0–{criterion.max_score} 之间"
                    f" / must be within 0..{criterion.max_score}"
                )
                continue
            comment = str(entry.get("comment") or "").strip()[:MAX_COMMENT]
            marks.setdefault(key, {})[cid] = {"score": format(score, "f"), "comment": comment}
    if complete:
        for key in sorted(known):
            if key not in quals:
                errors.append(f"qualification.{key}: 尚未判定 / not decided")
            for c in criteria:
                if c.id not in marks.get(key, {}):
                    errors.append(f"scores.{key}.{c.id}: 尚未评分 / not scored")
    if errors:
        raise ValidationFailed("; ".join(errors), detail={"errors": errors})
    return quals, marks


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
        bids = await opened_bids(session, lot_id)
        quals, marks = _clean(bids, criteria_of(s.lot), qualification, scores, complete=submit)
        s.sheet.qualification = quals
        s.sheet.scores = marks
        s.sheet.updated_at = now
        if submit:
            s.sheet.submitted_at = now
            await audit.append(
                session, actor, "scoring.submitted", "lot", lot_id, at=now,
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
        mine = {f"{f.bid_id}/{f.criterion_id}" for f in d.my_flags}
        unknown = sorted(set(reasons) - mine)
        if unknown:
            raise ValidationFailed(f"reasons: 这些评分未被标记偏离 / not flagged: {unknown}")
        s.sheet.deviation_reasons = {
            **s.sheet.deviation_reasons,
            **{k: str(v).strip()[:MAX_COMMENT] for k, v in reasons.items()},
        }
        s.sheet.updated_at = now
        await audit.append(
            session, actor, "scoring.deviation_explained", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id,
            detail={"position": s.member.position, "reasons": dict(reasons)},
        )  # fmt: skip
    return s.sheet


async def finalise(session: AsyncSession, actor: Actor, lot_id: int, *, now: datetime) -> None:
    """The chair closes the committee's work: all seated members submitted, every deviation
    explained by its expert."""
    async with writing(session):
        s = await seat(session, actor, lot_id)
        _open_for_work(s)
        if not s.is_chair:
            raise Forbidden("仅评标委员会主任可定稿 / only the chair finalises")
        sheets = await _sheets(session, s.committee.id)
        waiting = [
            m.position for m in s.seated if m.id not in sheets or sheets[m.id].submitted_at is None
        ]
        if waiting:
            raise Conflict(f"尚有专家未提交：{waiting} / members not submitted yet: {waiting}")
        bids = await opened_bids(session, lot_id)
        unexplained = _unexplained(s, sheets, _flags(s, sheets, bids, criteria_of(s.lot)))
        if unexplained:
            raise Conflict(
                f"{len(unexplained)} 项偏离评分尚无书面理由"
                f" / {len(unexplained)} deviating scores lack a written reason"
            )
        session.add(ScoringFinal(committee_id=s.committee.id, finalised_by_id=actor.user_id,
                                 finalised_at=now))  # fmt: skip
        await audit.append(
            session, actor, "scoring.finalised", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id, detail={"members": len(s.seated)},
        )  # fmt: skip


# ---- the ranking's input -----------------------------------------------------------------------


async def committee_input(session: AsyncSession, lot: Lot, doc: dict[str, Any]) -> dict[str, Any]:
    """The published evaluation input with the committee's work: its criteria, each bid's
    qualification (the majority of seated members) and per-expert scores in position order.
    Without a finalised committee evaluation the price-only document stays as it is."""
    doc = {**doc, "params": {k: v for k, v in doc["params"].items() if k not in SCORING_KEYS}}
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot.id))
    if committee is None:
        return doc
    if await session.get(ScoringFinal, committee.id) is None:
        # A drawn committee ranks the lot: a price-only ranking must not overtake its work.
        raise Conflict("评标委员会尚未定稿 / the committee has not finalised its evaluation")
    members = list(
        await session.scalars(
            select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
        )
    )
    seated = _seated(members)
    sheets = await _sheets(session, committee.id)
    criteria = criteria_of(lot)
    bids = []
    for b in doc["bids"]:
        key = b["bid_id"]
        passes = sum(1 for m in seated if sheets[m.id].qualification[key]["pass"])
        bids.append(
            {
                **b,
                "qualified": passes * 2 > len(seated),
                "technical_scores": {
                    c.id: [sheets[m.id].scores[key][c.id]["score"] for m in seated]
                    for c in criteria
                },
            }
        )
    return {
        **doc,
        "criteria": [
            {"id": c.id, "name": c.name, "max_score": format(c.max_score, "f")} for c in criteria
        ],
        "bids": bids,
    }
