"""Remote independent scoring (评标室): one entry point per use case (API and pages).

A seated member of a lot's committee declares no conflict, then reads the opened bids, decides
qualification per bid (a fail needs a reason) and scores each criterion of every bid within its
maximum, with a comment; drafts are saved until the member submits. Each member sees only their
own sheet; the chair (the first seated member by position) sees who has submitted, never the
numbers. Once every seated member has submitted, a score deviating from the committee mean by
more than the lot's share needs its expert's written reason; then the chair finalises
(evaluation/report/service.finalise builds the report in the same transaction) and nothing
changes any more (409) except through a recorded re-evaluation (evaluation/report/reevaluation.py):
while one is open, the members correct and resubmit and the chair finalises again.

The declaration is signed: the member's Ed25519 signature over `Seat.declaration`
(evaluation/scoring/signed.py), checked against their registered key.

The lot's criteria and deviation share live in `lot.evaluation_params` beside the method's
parameters: {"criteria": [{"id", "name", "max_score"}], "deviation_share": "0.20", ...}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import OpenedBid, opened_bids, opened_price_forms
from evaluation.clarify import anonymity
from evaluation.experts.models import Committee, CommitteeMember, Expert
from evaluation.methods.base import BidInput, Criterion, EvaluationError
from evaluation.methods.deviation import DeviationFlag, deviation_flags
from evaluation.scoring import signed
from evaluation.scoring.models import ReEvaluation, ScoreSheet, ScoringFinal
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.errors import Conflict, Forbidden, NotFound
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


def seated_of(members: list[CommitteeMember]) -> list[CommitteeMember]:
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
    reopened: ReEvaluation | None = None  # an open re-evaluation

    @property
    def declaration(self) -> dict[str, Any]:
        """The statement this member signs to declare no conflict."""
        return signed.declaration_statement(
            self.lot.id, self.committee.id, self.member.id, self.member.position, DECLARATION
        )

    @property
    def is_chair(self) -> bool:
        return self.seated[0].id == self.member.id

    @property
    def index(self) -> int:
        return next(i for i, m in enumerate(self.seated) if m.id == self.member.id)

    @property
    def audit_actor(self) -> Actor:
        """Who this member's audit entries name: the seat, not the person. A lot's entries are
        public once it is opened, experts' names only once the result is; the published
        committee document then says who sat where."""
        return seat_actor(self.lot.id, self.member.position)


def seat_actor(lot_id: int, position: int) -> Actor:
    return Actor(
        user_id=None, name=f"expert:{lot_id}:{position}", roles=frozenset({Role.EVALUATOR})
    )


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
    seated = seated_of(members)
    if mine not in seated:
        raise Forbidden("您已回避本标段 / you declined this lot")
    sheets = await sheets_of(session, committee.id)
    return Seat(
        lot, committee, mine, seated, sheets.get(mine.id),
        await session.get(ScoringFinal, committee.id),
        await open_re_evaluation(session, committee.id),
    )  # fmt: skip


async def open_re_evaluation(session: AsyncSession, committee_id: int) -> ReEvaluation | None:
    return await session.scalar(
        select(ReEvaluation).where(
            ReEvaluation.committee_id == committee_id, ReEvaluation.closed_at.is_(None)
        )
    )


async def sheets_of(session: AsyncSession, committee_id: int) -> dict[int, ScoreSheet]:
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
    reevaluating: bool = False  # finalised, then reopened (87号令 第64条) and not yet closed


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
        sheet = (await sheets_of(session, committee.id)).get(member.id)
        final = await session.get(ScoringFinal, committee.id)
        chair = seated_of(members)[0].id == member.id
        submitted = bool(sheet and sheet.submitted_at)
        reopened = final is not None and await open_re_evaluation(session, committee.id) is not None
        row = CommitteeRow(
            lot, member.position, chair, sheet is not None, submitted,
            final is not None and not reopened, reopened,
        )  # fmt: skip
        found.append(row)
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
    # 暗标 (evaluation/clarify/anonymity.py): bid id → letter; `masked` until the chair finalises,
    # when bids are shown and addressed by letter only (a bid id is the order of submission, and
    # the public opening record pairs it, its price and its digest with the company).
    labels: dict[int, str] = field(default_factory=dict)
    masked: bool = False

    def key(self, bid_id: int | str) -> str:
        """How the caller's views address a bid: its letter while masked, else its id."""
        return self.labels.get(int(bid_id), str(bid_id)) if self.masked else str(bid_id)


async def desk(session: AsyncSession, actor: Actor, lot_id: int) -> Desk:
    s = await seat(session, actor, lot_id)
    d = Desk(s, criteria_of(s.lot))
    if s.sheet is None:
        return d  # nothing is visible before the declaration
    d.bids = await opened_bids(session, lot_id)
    d.price_forms = await opened_price_forms(session, lot_id)
    sheets = await sheets_of(session, s.committee.id)
    d.all_submitted = all(
        m.id in sheets and sheets[m.id].submitted_at is not None for m in s.seated
    )
    if s.is_chair:
        d.progress = [
            (m.position, m.id in sheets and sheets[m.id].submitted_at is not None) for m in s.seated
        ]
    if d.all_submitted:
        flags = flags_of(s, sheets, d.bids, d.criteria)
        d.my_flags = [f for f in flags if f.expert_index == s.index]
        if s.is_chair:
            d.outstanding = len(unexplained_of(s, sheets, flags))
    await _anonymise(session, d)
    return d


async def _anonymise(session: AsyncSession, d: Desk) -> None:
    """An 暗标 lot: letters instead of companies, no price or price form (both public in the
    opening record) until the chair finalises; afterwards each letter beside its company."""
    if not d.seat.lot.anonymous_technical:
        return
    d.labels = await anonymity.labels(session, d.seat.lot.id)
    d.masked = d.seat.final is None
    if d.masked:
        d.price_forms = {}
        d.bids = [
            replace(b, bidder=anonymity.display(d.labels.get(b.bid_id, "?")), price=Decimal(0))
            for b in d.bids
        ]
    else:
        d.bids = [
            replace(b, bidder=f"{anonymity.display(d.labels[b.bid_id])} · {b.bidder}")
            if b.bid_id in d.labels
            else b
            for b in d.bids
        ]


async def unmask_keys(
    session: AsyncSession, lot: Lot, final: bool, keys: list[str]
) -> dict[str, str]:
    """A masked view's bid keys (letters) → bid ids; on an 暗标 lot before finalising a bid id
    given as such is not a key at all (it would pair letters with ids)."""
    if not lot.anonymous_technical or final:
        return {k: k for k in keys}
    by_letter = {x: str(b) for b, x in (await anonymity.labels(session, lot.id)).items()}
    return {k: by_letter.get(k, f"?{k}") for k in keys}


def flags_of(
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


def unexplained_of(
    s: Seat, sheets: Mapping[int, ScoreSheet], flags: list[DeviationFlag]
) -> list[DeviationFlag]:
    return [
        f
        for f in flags
        if not sheets[s.seated[f.expert_index].id]
        .deviation_reasons.get(f"{f.bid_id}/{f.criterion_id}", "")
        .strip()
    ]


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
    if await open_re_evaluation(session, committee.id) is not None:
        raise Conflict("重新评审进行中 / a re-evaluation is in progress")
    members = list(
        await session.scalars(
            select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
        )
    )
    seated = seated_of(members)
    sheets = await sheets_of(session, committee.id)
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


async def refuse_while_re_evaluating(session: AsyncSession, lot_id: int) -> None:
    """For the candidates' publicity: not while the committee re-evaluates the lot."""
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot_id))
    if committee is not None and await open_re_evaluation(session, committee.id) is not None:
        raise Conflict("重新评审进行中 / a re-evaluation is in progress")
