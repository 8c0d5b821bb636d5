"""Projects and lots: lookups, visibility, cancellation (registration and drafts: drafts.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from trading.announcements import builders as announcements
from trading.centers.scope import Material, may_see, visible_centers
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Forbidden, NotFound, ValidationFailed
from trading.parties.service import LIKE_ESCAPE, contains_pattern
from trading.projects import lifecycle
from trading.projects.models import Lot, Project


def manages(actor: Actor, project: Project) -> bool:
    """Center staff manage their own center's projects; the tenderer/agency manage theirs."""
    if actor.has(Role.STAFF) and actor.center_id == project.center_id:
        return True
    return actor.has(Role.TENDERER, Role.AGENCY) and actor.org_id in {
        project.tenderer_org_id,
        project.agency_org_id,
    }


async def can_see_unpublished(session: AsyncSession, actor: Actor, project: Project) -> bool:
    """The tenderer/agency that owns it, or whoever has its center's unpublished work in
    scope (trading.centers.scope: its staff, supervisors above it)."""
    if manages(actor, project):
        return True
    scope = await visible_centers(session, actor)
    return may_see(scope, project.center_id, Material.UNPUBLISHED)


async def get_project(session: AsyncSession, project_id: int, actor: Actor) -> Project:
    project = await session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(selectinload(Project.lots), selectinload(Project.center))
    )
    # An unpublished project is as good as absent to those who may not see it.
    if project is None or (
        all(lot.state == LotState.DRAFT for lot in project.lots)
        and not await can_see_unpublished(session, actor, project)
    ):
        raise NotFound(f"项目 {project_id} 不存在 / project {project_id} not found")
    return project


async def visible_lots(session: AsyncSession, actor: Actor, project: Project) -> list[Lot]:
    """A project's lots as `actor` may see them: drafts only for those who see unpublished work."""
    if await can_see_unpublished(session, actor, project):
        return list(project.lots)
    return [lot for lot in project.lots if lot.state != LotState.DRAFT]


async def get_lot(session: AsyncSession, lot_id: int, actor: Actor) -> Lot:
    # One statement: the project and center are many-to-one, joined into the lot's row.
    lot = await session.scalar(
        select(Lot)
        .where(Lot.id == lot_id)
        .options(joinedload(Lot.project, innerjoin=True).joinedload(Project.center, innerjoin=True))
    )
    if lot is None or (
        lot.state == LotState.DRAFT and not await can_see_unpublished(session, actor, lot.project)
    ):
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    return lot


@dataclass(frozen=True, slots=True)
class LotFacts:
    """What admitting a bid reads of a lot: a plain row, not a session-bound object."""

    id: int
    state: str
    bid_deadline: datetime
    opening_pub: str | None
    center_id: int


async def lot_facts(session: AsyncSession, lot_id: int) -> LotFacts | None:
    """The lot's admission facts in one Core select (no ORM loading, no visibility check:
    a caller that finds a draft asks `get_lot`, which decides whether it is visible)."""
    row = (
        await session.execute(
            select(Lot.id, Lot.state, Lot.bid_deadline, Lot.opening_pub, Lot.center_id).where(
                Lot.id == lot_id
            )
        )
    ).first()
    return None if row is None else LotFacts(*row)


async def list_lots(
    session: AsyncSession,
    *,
    center_ids: Sequence[int] | None = None,
    category: str | None = None,
    state: str | None = None,
    q: str | None = None,
    include_sandbox: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> list[Lot]:
    """Published lots for the portal (drafts are never listed publicly)."""
    stmt = (
        select(Lot)
        .join(Project)
        .where(Lot.state != LotState.DRAFT)
        .options(selectinload(Lot.project).selectinload(Project.center))
        .order_by(Lot.bid_deadline.desc(), Lot.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if center_ids is not None:
        stmt = stmt.where(Lot.center_id.in_(center_ids))
    if category:
        stmt = stmt.where(Project.category == category)
    if state:
        stmt = stmt.where(Lot.state == state)
    if q:
        like = contains_pattern(q)
        stmt = stmt.where(
            Project.title.like(like, escape=LIKE_ESCAPE)
            | Lot.title.like(like, escape=LIKE_ESCAPE)
            | Project.code.like(like, escape=LIKE_ESCAPE)
        )
    if not include_sandbox:
        stmt = stmt.where(Project.sandbox.is_(False))
    return list((await session.scalars(stmt)).all())


async def cancel_lot(
    session: AsyncSession, lot_id: int, actor: Actor, reason: str, *, now: datetime
) -> bool:
    """Terminate a lot (a reason is required: the 终止公告 states it, 条例 31)."""
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationFailed(
            "reason: 请说明终止原因（至少2个字）/ state the reason (at least 2 characters)",
            detail={"field": "reason"},
        )
    lot = await get_lot(session, lot_id, actor)
    if not manages(actor, lot.project):
        raise Forbidden("无权终止该标段 / you may not cancel this lot")
    async with writing(session):
        was = LotState(lot.state)
        moved = await lifecycle.move(
            session,
            lot,
            LotState.CANCELLED,
            actor,
            now=now,
            action="lot.cancel",
            center_id=lot.project.center_id,
            detail={"reason": reason},
            values={"failure_reason": reason},
        )
        if moved and was != LotState.DRAFT:  # a draft was never public: nothing to announce
            await announcements.termination(
                session, lot, actor, at=now, project=lot.project, reason=reason
            )
        return moved
