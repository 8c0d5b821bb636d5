"""The lot desk's access rule, shared by every tab whatever package renders it (bidding's
documents, questions and opening; evaluation's committee and evaluation): who may open a tab
and who may act on it, and times in the center's zone.

Staff of the lot's center act; supervisors of that center or above read (forms hidden, a POST
is a 403); everyone else is refused, drafts included (a 403, not a 404: the desk is a
workspace, its URLs are not secrets).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from trading.centers.scope import Material, may_see, visible_centers
from trading.enums import Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.errors import Forbidden, NotFound
from trading.projects.models import Lot, Project

DESK_ROLES = (Role.STAFF, Role.SUPERVISOR)


async def desk_lot(session: AsyncSession, lot_id: int, actor: Actor) -> tuple[Lot, bool]:
    """The lot and whether `actor` may act on it (else it only reads); refuses the rest."""
    lot = await session.scalar(
        select(Lot)
        .where(Lot.id == lot_id)
        .options(joinedload(Lot.project, innerjoin=True).joinedload(Project.center, innerjoin=True))
    )
    if lot is None:
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    if actor.has(Role.STAFF) and actor.center_id == lot.project.center_id:
        return lot, True
    if actor.has(Role.SUPERVISOR):
        scope = await visible_centers(session, actor)
        if may_see(scope, lot.project.center_id, Material.SUPERVISION):
            return lot, False
    raise Forbidden("该标段不属于您的交易中心 / this lot is not your center's")


async def acting_lot(session: AsyncSession, lot_id: int, actor: Actor) -> Lot:
    """For a form's POST: only the staff who act on the lot."""
    lot, can_act = await desk_lot(session, lot_id, actor)
    if not can_act:
        raise Forbidden("监督人员只读 / supervisors read, they do not act")
    return lot


def center_local(lot: Lot) -> Callable[..., str]:
    """`local(dt)` in the lot's center's zone: the desk speaks the center's wall clock."""
    zone = ZoneInfo(lot.project.center.timezone)

    def local(value: datetime | None, *, seconds: bool = False) -> str:
        return present.when(value, zone, seconds=seconds)

    return local


def field_errors(message: str, fields: tuple[str, ...]) -> dict[str, str]:
    """A service message "field: text" goes next to that field, anything else on top."""
    name, sep, rest = message.partition(": ")
    if sep and name in fields:
        return {name: rest}
    return {"form": message}
