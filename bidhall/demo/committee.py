"""A lot's evaluation committee, done as its members would: staff draw it, each expert signs
the no-conflict declaration, decides qualification and scores every criterion, submits; a
deviating score gets its expert's written reason; the chair finalises (the evaluation report is
built) and every member signs the report. The ranking (evaluate_lot) then comes from the scores."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import opened_bids
from bidhall.demo.accounts import demo_user
from bidhall.demo.experts import expert_identity, register_key
from crypto.canonical import canonical_json
from crypto.encoding import b64u_encode
from crypto.keys import Identity
from crypto.signing import sign
from evaluation.experts import service as experts
from evaluation.experts.draw import Demand
from evaluation.experts.models import Committee, CommitteeMember, Expert
from evaluation.report import service as reports
from evaluation.scoring import service as scoring
from evaluation.scoring import signed, work
from trading.auth.models import User
from trading.auth.service import actor_for
from trading.enums import Category
from trading.kernel.actor import Actor
from trading.kernel.runtime import Runtime
from trading.projects.service import get_lot

# The criteria and price weight of the demo lots (综合评分法 with the low-price benchmark):
# construction weighs the price more (its technical part is mostly pass/fail), goods less.
CONSTRUCTION_CRITERIA = [
    {"id": "plan", "name": "施工组织设计", "max_score": "20"},
    {"id": "team", "name": "项目管理机构", "max_score": "10"},
    {"id": "safety", "name": "质量安全保证措施", "max_score": "10"},
]
GOODS_CRITERIA = [
    {"id": "spec", "name": "技术参数响应", "max_score": "35"},
    {"id": "service", "name": "售后服务方案", "max_score": "20"},
    {"id": "record", "name": "类似项目业绩", "max_score": "15"},
]
TECHNICAL = {Category.CONSTRUCTION: "B01", Category.PROCUREMENT: "C01"}
ECONOMISTS = 2  # D01 members of every demo committee
DEVIATION_REASON = "该投标人售后网点距项目现场较远，响应时间承诺无法兑现，故评分明显偏低。"


def scoring_params(category: Category) -> dict[str, Any]:
    """The evaluation parameters a demo lot registers with (criteria checked at registration)."""
    if category == Category.CONSTRUCTION:
        return {"price_weight": "0.60", "criteria": CONSTRUCTION_CRITERIA,
                "deviation_share": "0.20"}  # fmt: skip
    return {"price_weight": "0.30", "goods_or_services": "goods", "criteria": GOODS_CRITERIA,
            "deviation_share": "0.20"}  # fmt: skip


@dataclass(frozen=True)
class Member:
    user: User
    seat: CommitteeMember
    actor: Actor
    identity: Identity


async def draw(rt: Runtime, lot_id: int, center: str, category: Category, size: int = 0) -> None:
    """The center's staff draw the committee (at least the ruleset's size): technical experts
    and two economists."""
    staff = actor_for(await demo_user(rt, f"staff-{center}"))
    async with rt.sessionmaker() as session:
        lot = await get_lot(session, lot_id, staff)
        size = max(size, experts.committee_rule(lot, rt.settings)[0])
    demand = [Demand(TECHNICAL[category], size - ECONOMISTS), Demand("D01", ECONOMISTS)]
    async with rt.sessionmaker() as session:
        await experts.draw_committee(
            session, staff, rt.settings, lot_id, demand, 0, now=rt.clock.now()
        )


async def members(rt: Runtime, lot_id: int) -> list[Member]:
    """The seated members in position order (the first is the chair), with their keys
    (registered on the platform if not yet)."""
    async with rt.sessionmaker() as session:
        rows = (
            await session.execute(
                select(User, CommitteeMember)
                .join(Expert, Expert.user_id == User.id)
                .join(CommitteeMember, CommitteeMember.expert_id == Expert.id)
                .join(Committee, Committee.id == CommitteeMember.committee_id)
                .where(Committee.lot_id == lot_id, CommitteeMember.declined_at.is_(None))
                .order_by(CommitteeMember.position)
            )
        ).all()
    for user, _seat in rows:
        await register_key(rt, user)
    return [Member(u, m, actor_for(u), expert_identity(u.username)) for u, m in rows]


def score(lot_id: int, bid_id: int, criterion: dict[str, str], position: int) -> Decimal:
    """A demo expert's mark: 78–95 % of the maximum in half points, stable for the same
    lot, bid, criterion and seat — close enough together that no mark deviates by itself."""
    digest = hashlib.sha256(f"{lot_id}/{bid_id}/{criterion['id']}/{position}".encode()).digest()
    share = Decimal(78 + digest[0] % 18) / 100
    return (Decimal(criterion["max_score"]) * share * 2).to_integral_value() / 2


async def evaluate(rt: Runtime, lot_id: int, *, deviation: bool = False) -> None:
    """Every seated member declares (signed), decides and scores, and submits; with `deviation`
    the last member marks the first bid's after-sales service far down and explains it; the chair
    finalises, which builds the evaluation report, and every member signs it."""
    seated = await members(rt, lot_id)
    async with rt.sessionmaker() as session:
        bids = await opened_bids(session, lot_id)
        lot_criteria = [
            {"id": c.id, "max_score": str(c.max_score)}
            for c in scoring.criteria_of(await get_lot(session, lot_id, seated[0].actor))
        ]
    for position, member in enumerate(seated):
        qualification = {str(b.bid_id): {"pass": True, "reason": ""} for b in bids}
        scores: dict[str, dict[str, dict[str, str]]] = {
            str(b.bid_id): {
                c["id"]: {"score": format(score(lot_id, b.bid_id, c, position), "f"),
                          "comment": "响应招标文件要求"}
                for c in lot_criteria
            }
            for b in bids
        }  # fmt: skip
        if deviation and position == len(seated) - 1:
            low = next((c for c in lot_criteria if c["id"] == "service"), lot_criteria[0])
            scores[str(bids[0].bid_id)][low["id"]] = {
                "score": format(Decimal(low["max_score"]) * Decimal("0.4"), "f"),
                "comment": "售后响应承诺不可行",
            }
        async with rt.sessionmaker() as session:
            await declare(session, member, lot_id, rt)
            await work.save(
                session, member.actor, lot_id, qualification, scores, now=rt.clock.now(),
                submit=True,
            )  # fmt: skip
    if deviation:
        async with rt.sessionmaker() as session:
            d = await scoring.desk(session, seated[-1].actor, lot_id)
            reasons = {f"{f.bid_id}/{f.criterion_id}": DEVIATION_REASON for f in d.my_flags}
            await work.explain(session, seated[-1].actor, lot_id, reasons, now=rt.clock.now())
    async with rt.sessionmaker() as session:
        await reports.finalise(
            session, seated[0].actor, lot_id, now=rt.clock.now(), settings=rt.settings
        )
    await sign_report(rt, lot_id, seated)


async def sign_report(rt: Runtime, lot_id: int, signers: list[Member]) -> None:
    """The members sign the report's current version (Ed25519 over their statement)."""
    async with rt.sessionmaker() as session:
        report = await reports.latest_report(session, lot_id)
    assert report is not None
    for member in signers:
        statement = signed.report_statement(
            lot_id, report.version, report.sha256, member.seat.position, ""
        )
        async with rt.sessionmaker() as session:
            await reports.sign(
                session, member.actor, lot_id, report.version, _signature(member, statement),
                now=rt.clock.now(),
            )  # fmt: skip


async def declare(session: AsyncSession, member: Member, lot_id: int, rt: Runtime) -> None:
    """The no-conflict declaration, signed with the member's key over the seat's statement."""
    statement = signed.declaration_statement(
        lot_id, member.seat.committee_id, member.seat.id, member.seat.position, scoring.DECLARATION
    )
    await work.declare(
        session, member.actor, lot_id, scoring.DECLARATION, _signature(member, statement),
        now=rt.clock.now(),
    )  # fmt: skip


def _signature(member: Member, statement: dict[str, Any]) -> str:
    return b64u_encode(sign(member.identity.sign_priv, canonical_json(statement)))
