"""What the public pages read: Core selects of exactly the columns the portal and the lot page
show, one round trip each (no ORM objects, no loader chains).

Rows are SQLAlchemy `Row`s with labelled columns (`lot.project_title`, `lot.center_name`), so
the templates read them like attributes. Drafts are never returned: the lot page asks the
ORM path (`service.get_lot`) only for a draft, where who is asking decides. The statements
are built once, with bound parameters, so SQLAlchemy finds them in its compiled cache
without rebuilding their cache keys on every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements.models import Announcement, AnnouncementState
from trading.audit.api import PUBLIC_LOT_ACTIONS
from trading.audit.models import AuditEntry
from trading.centers.models import Center
from trading.enums import LotState
from trading.projects.models import Lot, Project
from trading.reports.savings import savings, savings_rate

PORTAL_PAGE = 100  # lots per portal page (what the portal always listed)

_PORTAL_COLUMNS = (
    Lot.id,
    Lot.title,
    Lot.budget,
    Lot.control_price,
    Lot.bid_deadline,
    Lot.state,
    Project.code.label("project_code"),
    Project.title.label("project_title"),
    Project.sandbox,
    Project.category,
    Center.name.label("center_name"),
    Center.name_en.label("center_name_en"),
)


_PORTAL_LOTS = (
    select(*_PORTAL_COLUMNS)
    .join_from(Lot, Project, Lot.project_id == Project.id)
    .join(Center, Project.center_id == Center.id)
    .where(Lot.state != LotState.DRAFT)
    .order_by(Lot.bid_deadline.desc(), Lot.id.desc())
    .limit(PORTAL_PAGE + 1)  # one more tells whether a next page exists
)
_CENTERS = select(Center.id, Center.code, Center.name, Center.name_en).order_by(Center.code)


async def portal_centers(session: AsyncSession) -> Sequence[Row[Any]]:
    """The centers for the portal's filter: id, code, name, English name."""
    return (await session.execute(_CENTERS)).all()


async def portal_lots(
    session: AsyncSession,
    *,
    center_ids: Sequence[int] | None = None,
    category: str | None = None,
    state: str | None = None,
    q: str | None = None,
    after: int | None = None,
    limit: int = PORTAL_PAGE,
) -> tuple[Sequence[Row[Any]], int | None]:
    """Published lots, latest deadline first, and the cursor of the next page (None: last).

    Keyset paging: `after` is the id of the last lot of the previous page, and the next page
    starts strictly below its (bid_deadline, id), which `ix_lot_deadline_id` serves however
    deep the page (OFFSET would read and drop every row before it).
    """
    stmt = _PORTAL_LOTS if limit == PORTAL_PAGE else _PORTAL_LOTS.limit(limit + 1)
    if after is not None:
        cursor = (
            await session.execute(select(Lot.bid_deadline, Lot.id).where(Lot.id == after))
        ).one_or_none()
        if cursor is None:
            return [], None
        deadline, last = cursor
        # The first conjunct is a plain range on the index's leading column, which both
        # SQLite and PostgreSQL seek on; the second excludes the rows up to the cursor.
        stmt = stmt.where(
            Lot.bid_deadline <= deadline,
            or_(Lot.bid_deadline < deadline, and_(Lot.bid_deadline == deadline, Lot.id < last)),
        )
    if center_ids is not None:
        stmt = stmt.where(Lot.center_id.in_(center_ids))
    if category:
        stmt = stmt.where(Project.category == category)
    if state:
        stmt = stmt.where(Lot.state == state)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Project.title.like(like) | Lot.title.like(like) | Project.code.like(like))
    rows = (await session.execute(stmt)).all()
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


_LOT_VIEW = (
    select(
        Lot.id,
        Lot.project_id,
        Lot.number,
        Lot.title,
        Lot.state,
        Lot.budget,
        Lot.control_price,
        Lot.price_basis,
        Lot.bid_security,
        Lot.opening_pub,
        Lot.award_price,
        Lot.docs_issued_at,
        Lot.docs_available_until,
        Lot.clarification_deadline,
        Lot.bid_deadline,
        Lot.evaluation_at,
        Project.code.label("project_code"),
        Project.title.label("project_title"),
        Project.sandbox,
        Project.category,
        Center.name.label("center_name"),
        Center.name_en.label("center_name_en"),
    )
    .join_from(Lot, Project, Lot.project_id == Project.id)
    .join(Center, Project.center_id == Center.id)
    .where(Lot.id == bindparam("lot_id"))
)
_LOT_HISTORY = (
    select(AuditEntry.at, AuditEntry.action, AuditEntry.seq)
    .where(
        AuditEntry.target_type == "lot",
        AuditEntry.target_id == bindparam("target_id"),
        AuditEntry.action.in_(sorted(PUBLIC_LOT_ACTIONS)),
    )
    .order_by(AuditEntry.seq)
)
_LOT_ANNOUNCEMENTS = (
    select(Announcement.published_at, Announcement.kind, Announcement.title, Announcement.body)
    .where(
        Announcement.project_id == bindparam("project_id"),
        Announcement.state == AnnouncementState.PUBLISHED,
        or_(Announcement.lot_id.is_(None), Announcement.lot_id == bindparam("lot_id")),
    )
    .order_by(Announcement.published_at, Announcement.id)
)


async def lot_view(session: AsyncSession, lot_id: int) -> Row[Any] | None:
    """One lot with its project's and center's columns that the lot page shows."""
    return (await session.execute(_LOT_VIEW, {"lot_id": lot_id})).one_or_none()


async def lot_history(session: AsyncSession, lot_id: int) -> Sequence[Row[Any]]:
    """The lot's public audit entries (time, action, sequence number), oldest first."""
    return (await session.execute(_LOT_HISTORY, {"target_id": str(lot_id)})).all()


async def lot_announcements(
    session: AsyncSession, project_id: int, lot_id: int
) -> Sequence[Row[Any]]:
    """Published announcements of the lot or of its whole project, in publication order."""
    params = {"project_id": project_id, "lot_id": lot_id}
    return (await session.execute(_LOT_ANNOUNCEMENTS, params)).all()


def award_savings(lot: Row[Any]) -> tuple[Decimal, Decimal | None] | None:
    """(savings amount, savings rate %) of an awarded lot row, else None (as lot_savings)."""
    if lot.state != LotState.AWARDED or lot.award_price is None:
        return None
    # The table's own rule for the amount savings are measured against, applied to the row.
    reference: Decimal = Lot.reference_price.fget(lot)  # type: ignore[attr-defined]
    return savings(reference, lot.award_price), savings_rate([(reference, lot.award_price)])
