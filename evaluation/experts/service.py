"""The expert pool and the committee draw: one entry point per use case (API, CLI, pages)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import participant_usccs
from evaluation.experts import draw as pure
from evaluation.experts.models import Committee, CommitteeMember, Expert, PoolPolicy
from trading.audit import service as audit
from trading.centers.models import Center
from trading.centers.scope import Material, visible_centers
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from trading.parties.models import Organization
from trading.parties.service import LIKE_ESCAPE, contains_pattern, escape_like
from trading.projects.models import Lot, Project
from trading.projects.publishing import effective_ruleset
from trading.projects.service import get_lot
from trading.rules.base import Rule
from trading.rules.engine import check_committee_size, required_committee_size

# Before the draw the lot must be published and not yet evaluated.
DRAWABLE = {LotState.ANNOUNCED, LotState.OPENING, LotState.OPENED}


def staff_of(actor: Actor, center_id: int) -> None:
    if not (actor.has(Role.STAFF) and actor.center_id == center_id):
        raise Forbidden("仅本中心工作人员可操作 / only this center's staff may do this")


async def center_by_code(session: AsyncSession, code: str) -> Center:
    center = await session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise NotFound(f"交易中心 {code} 不存在 / no center {code}")
    return center


# ---- the pool as the center workspace shows it ----------------------------------------------

MAX_RECENT_DAYS = 3650


@dataclass(frozen=True, slots=True)
class PoolPage:
    rows: list[Expert]
    total: int


@dataclass(frozen=True, slots=True)
class PoolDesk:
    center: Center
    choices: list[Center]  # the centers whose pool the actor may read
    can_act: bool


async def pool_center(session: AsyncSession, actor: Actor, code: str | None = None) -> PoolDesk:
    """The center whose pool the actor reads (its own by default) and whether it acts on it:
    staff act on their own center's; supervisors read theirs and those below; others 403."""
    if actor.center_id is None or not actor.has(Role.STAFF, Role.SUPERVISOR):
        raise Forbidden("需要交易中心工作人员或监督角色 / requires center staff or supervisor")
    scope = await visible_centers(session, actor)
    choices = list(
        await session.scalars(
            select(Center)
            .where(Center.id.in_(scope.centers(Material.UNPUBLISHED)))
            .order_by(Center.code)
        )
    )
    wanted = code or None
    center = next(
        (c for c in choices if (c.code == wanted if wanted else c.id == actor.center_id)), None
    )
    if center is None:
        raise Forbidden(f"交易中心 {code} 不在您的权限范围内 / center {code} is out of your scope")
    return PoolDesk(center, choices, actor.has(Role.STAFF) and actor.center_id == center.id)


async def search_pool(
    session: AsyncSession, center_id: int, q: str = "", *, limit: int = 50, offset: int = 0
) -> PoolPage:
    """A page of the center's experts by code whose name or code contains `q` or who has a
    specialty starting with it, with the total that match."""
    stmt = select(Expert).where(Expert.center_id == center_id)
    q = q.strip()
    if q:
        stmt = stmt.where(
            or_(
                Expert.name.like(contains_pattern(q), escape=LIKE_ESCAPE),
                Expert.code.like(contains_pattern(q.upper()), escape=LIKE_ESCAPE),
                # The JSON list's text holds each code quoted: "A01" — a prefix match.
                cast(Expert.specialties, String).like(
                    f'%"{escape_like(q.upper())}%', escape=LIKE_ESCAPE
                ),
            )
        )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.scalars(stmt.order_by(Expert.code).limit(limit).offset(offset))
    return PoolPage(list(rows), total)


async def get_policy(session: AsyncSession, center_id: int) -> PoolPolicy:
    """The center's draw policy; a center that never set one reaches no parent, rests no one."""
    policy = await session.get(PoolPolicy, center_id)
    return policy or PoolPolicy(center_id=center_id, reach_parent=False, recent_days=0)


async def set_policy(
    session: AsyncSession,
    actor: Actor,
    center_code: str,
    *,
    reach_parent: bool,
    recent_days: int,
    now: datetime,
) -> PoolPolicy:
    """Staff of the center set how its draws run: whether they reach the parent center's pool
    (远程异地评标) and the recent-participation window in days. Audited with before/after."""
    center = await center_by_code(session, center_code)
    staff_of(actor, center.id)
    if not 0 <= recent_days <= MAX_RECENT_DAYS:
        raise ValidationFailed(
            f"recent_days: 应为0至{MAX_RECENT_DAYS}天 / 0 to {MAX_RECENT_DAYS} days"
        )
    if reach_parent and center.parent_id is None:
        raise ValidationFailed("reach_parent: 本中心没有上级中心 / this center has no parent")
    async with writing(session):
        policy = await session.get(PoolPolicy, center.id)
        before = (
            {"reach_parent": policy.reach_parent, "recent_days": policy.recent_days}
            if policy
            else None
        )
        if policy is None:
            policy = PoolPolicy(center_id=center.id)
            session.add(policy)
        policy.reach_parent, policy.recent_days = reach_parent, recent_days
        await audit.append(
            session, actor, "experts.policy", "center", center.code, at=now,
            center_id=center.id,
            detail={"before": before,
                    "after": {"reach_parent": reach_parent, "recent_days": recent_days}},
        )  # fmt: skip
    return policy


def committee_rule(lot: Lot, settings: Settings) -> tuple[int, Rule]:
    """The smallest lawful committee for the lot and the rule that sets it (shown on the form)."""
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    required = required_committee_size(ruleset, lot.budget)
    large = ruleset.get("committee_large_size")
    if large is not None and required >= int(large.value):
        return required, large
    return required, ruleset.rule("committee_min_size")


# ---- the draw ----------------------------------------------------------------------------


async def _pool_centers(session: AsyncSession, center: Center) -> list[int]:
    """The lot's center and, where its policy says so, the centers above it."""
    ids = [center.id]
    current: Center | None = center
    while current is not None and current.parent_id is not None:
        policy = await session.get(PoolPolicy, current.id)
        if policy is None or not policy.reach_parent:
            break
        current = await session.get(Center, current.parent_id)
        if current is not None:
            ids.append(current.id)
    return ids


async def snapshot(session: AsyncSession, lot: Lot) -> list[pure.PoolEntry]:
    """The pool the draw runs on: active experts of the reachable centers, each with why it
    cannot sit on this lot (the tenderer's or a participant's employee, a declared relation,
    a recent committee for the same tenderer) or "" — decided here, before any ticket."""
    project: Project = lot.project
    tenderer = await session.scalar(
        select(Organization.uscc).where(Organization.id == project.tenderer_org_id)
    )
    participants = await participant_usccs(session, lot.id)
    policy = await session.get(PoolPolicy, project.center_id)
    rest = timedelta(days=policy.recent_days if policy else 0)
    recent: set[int] = set()
    if rest:
        recent = set(
            await session.scalars(
                select(CommitteeMember.expert_id)
                .join(Committee, Committee.id == CommitteeMember.committee_id)
                .join(Lot, Lot.id == Committee.lot_id)
                .join(Project, Project.id == Lot.project_id)
                .where(
                    Project.tenderer_org_id == project.tenderer_org_id,
                    Committee.drawn_at >= lot.bid_deadline - rest,
                    CommitteeMember.declined_reason == "",
                )
            )
        )
    experts = await session.scalars(
        select(Expert)
        .where(Expert.center_id.in_(await _pool_centers(session, project.center)))
        .where(Expert.active.is_(True))
        .order_by(Expert.code)
    )
    entries = []
    for e in experts:
        why = ""
        if e.employer_uscc and e.employer_uscc == tenderer:
            why = "employer: tenderer"
        elif e.employer_uscc and e.employer_uscc in participants:
            why = "employer: bidder"
        elif tenderer in e.avoid_usccs or participants.intersection(e.avoid_usccs):
            why = "declared relation"
        elif e.id in recent:
            why = f"recent committee for this tenderer ({rest.days} days)"
        entries.append(pure.PoolEntry(e.code, tuple(e.specialties), why))
    return entries


def _check_composition(
    lot: Lot, demand: list[pure.Demand], representatives: int, settings: Settings
) -> None:
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    experts = sum(d.count for d in demand)
    size = experts + representatives
    violation = check_committee_size(size, ruleset, lot.budget)
    if violation is None and 3 * experts < 2 * size:
        rule = ruleset.rule("committee_min_size")
        raise RuleViolation(
            f"{rule.citation}: 技术、经济等方面的专家不得少于成员总数的三分之二"
            f"（专家{experts}人，共{size}人） / experts must be at least 2/3 of the committee",
            detail={"rule": rule.id, "citation": rule.citation},
        )
    if violation is not None:
        raise RuleViolation(
            f"{violation.citation}: {violation.message_zh} / {violation.message_en}",
            detail={"rule": violation.rule_id, "citation": violation.citation},
        )


async def draw_committee(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    lot_id: int,
    demand: list[pure.Demand],
    representatives: int,
    *,
    now: datetime,
    seed: bytes | None = None,
) -> Committee:
    """Draw the lot's committee: composition checked against the ruleset, the pool snapshot
    taken with conflicts decided, the seed's hash committed to the audit log, then the draw
    (one committee per lot: a second draw is a conflict; replacements go through decline)."""
    lot = await get_lot(session, lot_id, actor)
    staff_of(actor, lot.project.center_id)
    if lot.state not in DRAWABLE:
        raise Conflict(f"标段状态为 {lot.state}，不能抽取专家 / lot is {lot.state}")
    if not 0 <= representatives <= 10:
        raise ValidationFailed("representatives: 0-10")
    _check_composition(lot, demand, representatives, settings)
    seed = seed if seed is not None else os.urandom(32)
    async with writing(session):
        if await session.scalar(select(Committee.id).where(Committee.lot_id == lot.id)):
            raise Conflict("该标段已抽取评标委员会 / the committee is already drawn")
        pool = await snapshot(session, lot)
        try:
            picks = pure.draw(pool, demand, seed)
        except pure.DrawError as exc:
            raise Conflict(str(exc)) from exc
        digest = pure.pool_digest(pool)
        seed_sha256 = hashlib.sha256(seed).hexdigest()
        # The commitment precedes the draw in the log; neither names an expert.
        await audit.append(
            session, actor, "committee.seed_committed", "lot", lot.id, at=now,
            center_id=lot.project.center_id,
            detail={"seed_sha256": seed_sha256, "pool_digest": digest, "pool_size": len(pool)},
        )  # fmt: skip
        committee = Committee(
            lot_id=lot.id,
            representatives=representatives,
            demand=[{"specialty": d.specialty, "count": d.count} for d in demand],
            pool=[e.as_json() for e in pool],
            pool_digest=digest,
            seed=seed.hex(),
            seed_sha256=seed_sha256,
            drawn_by_id=actor.user_id or 0,
            drawn_at=now,
        )
        session.add(committee)
        await session.flush()
        ids = dict(
            (await session.execute(
                select(Expert.code, Expert.id).where(Expert.code.in_([p.code for p in picks]))
            )).tuples().all()
        )  # fmt: skip
        for position, pick in enumerate(picks, start=1):
            session.add(
                CommitteeMember(
                    committee_id=committee.id, expert_id=ids[pick.code], position=position,
                    specialty=pick.specialty, ticket=pick.ticket,
                )
            )  # fmt: skip
        await audit.append(
            session, actor, "committee.drawn", "lot", lot.id, at=now,
            center_id=lot.project.center_id,
            detail={"members": len(picks), "representatives": representatives},
        )  # fmt: skip
    return committee


async def decline(
    session: AsyncSession,
    actor: Actor,
    lot_id: int,
    code: str,
    reason: str,
    *,
    now: datetime,
) -> list[str]:
    """An expert declines (staff record it, with the reason): the draw reruns with the
    declines so far, which seats the next ticket of that specialty. Returns the codes now
    seated."""
    lot = await get_lot(session, lot_id, actor)
    staff_of(actor, lot.project.center_id)
    reason = reason.strip()
    if not 2 <= len(reason) <= 500:
        raise ValidationFailed("reason: 需要2-500字的理由 / a reason of 2-500 characters")
    async with writing(session):
        committee = await session.scalar(select(Committee).where(Committee.lot_id == lot.id))
        if committee is None:
            raise NotFound("该标段尚未抽取评标委员会 / no committee drawn")
        if lot.state not in DRAWABLE:
            raise Conflict(f"标段状态为 {lot.state}，不能更换专家 / lot is {lot.state}")
        members = list(
            (await session.execute(
                select(CommitteeMember, Expert.code)
                .join(Expert, Expert.id == CommitteeMember.expert_id)
                .where(CommitteeMember.committee_id == committee.id)
                .order_by(CommitteeMember.position)
            )).tuples().all()
        )  # fmt: skip
        mine = next((m for m, c in members if c == code and not m.declined_reason), None)
        if mine is None:
            raise NotFound(f"{code} 不是本委员会的在任成员 / not a seated member")
        mine.declined_reason, mine.declined_at = reason, now
        declined = {c: m.declined_reason for m, c in members if m.declined_reason}
        pool, demand, seed, _ = pure.parse_document(document(committee, declined))
        try:
            picks = pure.draw(pool, demand, seed, declined)
        except pure.DrawError as exc:
            raise Conflict(str(exc)) from exc
        known = {c for _m, c in members}
        fresh = [p for p in picks if p.code not in known]
        ids = dict(
            (await session.execute(
                select(Expert.code, Expert.id).where(Expert.code.in_([p.code for p in fresh]))
            )).tuples().all()
        )  # fmt: skip
        for offset, pick in enumerate(fresh, start=len(members) + 1):
            session.add(
                CommitteeMember(
                    committee_id=committee.id, expert_id=ids[pick.code], position=offset,
                    specialty=pick.specialty, ticket=pick.ticket,
                )
            )  # fmt: skip
        await audit.append(
            session, actor, "committee.declined", "lot", lot.id, at=now,
            center_id=lot.project.center_id, detail={"replacements": len(fresh)},
        )  # fmt: skip
    return [p.code for p in pure.committee(picks)]


def document(committee: Committee, declined: dict[str, str]) -> dict[str, Any]:
    """The draw document `bidhall evaluate draw` reruns (the seed included)."""
    return {
        "lot_id": committee.lot_id,
        "pool": committee.pool,
        "pool_digest": committee.pool_digest,
        "demand": committee.demand,
        "representatives": committee.representatives,
        "seed": committee.seed,
        "seed_sha256": committee.seed_sha256,
        "declined": [{"code": c, "reason": r} for c, r in declined.items()],
    }


async def published_draw(session: AsyncSession, actor: Actor, lot_id: int) -> dict[str, Any]:
    """The draw as the public may see it: before the award only the commitment (seed hash,
    pool digest, sizes) — no expert, no seed; after it the whole document with the experts'
    names. The lot's own staff see the committee (names included) all along."""
    lot = await get_lot(session, lot_id, actor)
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot.id))
    if committee is None:
        raise NotFound("该标段尚未抽取评标委员会 / no committee drawn")
    staff = actor.has(Role.STAFF) and actor.center_id == lot.project.center_id
    awarded = lot.state == LotState.AWARDED
    out: dict[str, Any] = {
        "lot_id": lot.id,
        "seed_sha256": committee.seed_sha256,
        "pool_digest": committee.pool_digest,
        "pool_size": len(committee.pool),
        "demand": committee.demand,
        "representatives": committee.representatives,
        "drawn_at": committee.drawn_at.isoformat(),
    }
    if not (staff or awarded):
        return out
    rows = (
        (
            await session.execute(
                select(CommitteeMember, Expert.code, Expert.name)
                .join(Expert, Expert.id == CommitteeMember.expert_id)
                .where(CommitteeMember.committee_id == committee.id)
                .order_by(CommitteeMember.position)
            )
        )
        .tuples()
        .all()
    )
    declined = {code: m.declined_reason for m, code, _n in rows if m.declined_reason}
    out["members"] = [
        {"code": code, "name": name, "specialty": m.specialty, "declined": m.declined_reason}
        for m, code, name in rows
    ]
    if awarded:
        out["document"] = document(committee, declined)
    return out
