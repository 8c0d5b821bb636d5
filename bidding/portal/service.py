"""What the public pages read: Core selects of exactly the columns the portal, the channel lists,
the feeds and the lot page show (no ORM objects, no loader chains).

Rows are SQLAlchemy `Row`s with labelled columns (`lot.project_title`, `a.center_name`), so the
templates read them like attributes. Public lists hold published rows only and never a sandbox
project (its lot page still opens, marked). Every list is paged with its total (`Paged`): a
COUNT of the same filtered statement, then one page of rows — nothing is cut off silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bidding.participation.models import Question
from bidding.submission.models import Bid
from trading.announcements.models import Announcement, AnnouncementKind, AnnouncementState
from trading.audit.api import PUBLIC_LOT_ACTIONS
from trading.audit.models import AuditEntry
from trading.centers.models import Center
from trading.enums import LotState
from trading.parties.models import Organization
from trading.projects import windows
from trading.projects.models import Document, Lot, Project
from trading.reports.savings import savings, savings_rate
from trading.rules import RuleConfigError, get_ruleset

PAGE_SIZES = (20, 50, 100)
PAGE_SIZE = PAGE_SIZES[0]
CHANNEL_HEAD = 6  # announcements per channel on the home page
FEED_SIZE = 50  # entries of an Atom feed
# The lot page's history: the public lot events, and amendments (they are public notices).
LOT_HISTORY_ACTIONS = frozenset(PUBLIC_LOT_ACTIONS | {"lot.amend"})
LIKE_ESCAPE = "\\"

# The channels, in the order a trading-center site lists them.
CHANNELS: tuple[AnnouncementKind, ...] = (
    AnnouncementKind.TENDER,
    AnnouncementKind.AMENDMENT,
    AnnouncementKind.CANDIDATES,
    AnnouncementKind.RESULT,
    AnnouncementKind.FAILURE,
    AnnouncementKind.TERMINATION,
)


def like_pattern(text: str) -> str:
    """`text` anywhere, its `%`, `_` and `\\` matching themselves (use with LIKE_ESCAPE)."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


@dataclass(frozen=True, slots=True)
class Filters:
    """What a visitor narrows a public list by; None means not narrowed."""

    center_ids: Sequence[int] | None = None  # a center and its subtree
    category: str | None = None
    q: str | None = None  # keyword: title or project code, literally
    since: datetime | None = None  # inclusive (UTC)
    until: datetime | None = None  # exclusive (UTC)
    winner: str | None = None  # part of the winning organization's name


@dataclass(frozen=True, slots=True)
class Paged:
    """One page of a list and where it sits in the whole."""

    rows: Sequence[Row[Any]]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when none)."""
        return (self.page - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.size + len(self.rows)


async def _paged(session: AsyncSession, stmt: Select[Any], page: int, size: int) -> Paged:
    """Count the filtered statement, then read the asked page (clamped to the last one)."""
    size = size if size in PAGE_SIZES else PAGE_SIZE
    total = (
        await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ).scalar_one()
    page = min(max(page, 1), max(1, -(-total // size)))
    rows = (
        (await session.execute(stmt.limit(size).offset((page - 1) * size))).all() if total else []
    )
    return Paged(rows=rows, total=total, page=page, size=size)


def _won_by(name: str) -> Select[Any]:
    """Ids of the awarded lots whose winning bid came from an organization named like `name`."""
    return (
        select(Lot.id)
        .join(Bid, Bid.id == Lot.award_bid_id)
        .join(Organization, Organization.id == Bid.bidder_org_id)
        .where(
            Lot.state == LotState.AWARDED,
            Organization.name.like(like_pattern(name), escape=LIKE_ESCAPE),
        )
    )


def _narrow_projects(stmt: Select[Any], f: Filters) -> Select[Any]:
    if f.center_ids is not None:
        stmt = stmt.where(Project.center_id.in_(f.center_ids))
    if f.category:
        stmt = stmt.where(Project.category == f.category)
    return stmt


# ---- centers (the region filter) ---------------------------------------------------------------

_CENTERS = select(Center.id, Center.code, Center.name, Center.name_en).order_by(Center.code)


async def portal_centers(session: AsyncSession) -> Sequence[Row[Any]]:
    """The centers for the region filter: id, code, name, English name."""
    return (await session.execute(_CENTERS)).all()


# ---- announcements: channels by kind and category ---------------------------------------------

_ANNOUNCEMENTS = (
    select(
        Announcement.id,
        Announcement.kind,
        Announcement.title,
        Announcement.published_at,
        Announcement.lot_id,
        Announcement.project_id,
        Project.code.label("project_code"),
        Project.title.label("project_title"),
        Project.category,
        Center.name.label("center_name"),
        Center.name_en.label("center_name_en"),
    )
    .join_from(Announcement, Project, Announcement.project_id == Project.id)
    .join(Center, Project.center_id == Center.id)
    .where(
        Announcement.state == AnnouncementState.PUBLISHED,
        Announcement.published_at.is_not(None),
        Project.sandbox.is_(False),
    )
    .order_by(Announcement.published_at.desc(), Announcement.id.desc())
)


def announcements_statement(kind: str | None, f: Filters) -> Select[Any]:
    """Published, non-sandbox announcements of a channel, newest first, narrowed by `f`.

    A winner filter keeps the result announcements of the lots that organization won."""
    stmt = _narrow_projects(_ANNOUNCEMENTS, f)
    if kind:
        stmt = stmt.where(Announcement.kind == kind)
    if f.since is not None:
        stmt = stmt.where(Announcement.published_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Announcement.published_at < f.until)
    if f.q:
        like = like_pattern(f.q)
        stmt = stmt.where(
            or_(
                Announcement.title.like(like, escape=LIKE_ESCAPE),
                Project.title.like(like, escape=LIKE_ESCAPE),
                Project.code.like(like, escape=LIKE_ESCAPE),
            )
        )
    if f.winner:
        stmt = stmt.where(
            Announcement.kind == AnnouncementKind.RESULT,
            Announcement.lot_id.in_(_won_by(f.winner)),
        )
    return stmt


async def announcement_list(
    session: AsyncSession,
    *,
    kind: str | None = None,
    filters: Filters = Filters(),
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Paged:
    """One page of a channel, with the channel's total."""
    return await _paged(session, announcements_statement(kind, filters), page, size)


async def channel_heads(
    session: AsyncSession,
    filters: Filters = Filters(),
    limit: int = CHANNEL_HEAD,
) -> dict[str, Sequence[Row[Any]]]:
    """The latest announcements of every channel (the home page's blocks)."""
    return {
        kind.value: (
            await session.execute(announcements_statement(kind.value, filters).limit(limit))
        ).all()
        for kind in CHANNELS
    }


async def feed_entries(
    session: AsyncSession, kind: str | None, category: str | None
) -> Sequence[Row[Any]]:
    """The newest FEED_SIZE announcements of a channel, for its Atom feed."""
    stmt = announcements_statement(kind, Filters(category=category)).limit(FEED_SIZE)
    return (await session.execute(stmt)).all()


# ---- lots --------------------------------------------------------------------------------------

_LOTS = (
    select(
        Lot.id,
        Lot.title,
        Lot.budget,
        Lot.control_price,
        Lot.bid_deadline,
        Lot.state,
        Lot.award_price,
        Project.code.label("project_code"),
        Project.title.label("project_title"),
        Project.sandbox,
        Project.category,
        Center.name.label("center_name"),
        Center.name_en.label("center_name_en"),
    )
    .join_from(Lot, Project, Lot.project_id == Project.id)
    .join(Center, Lot.center_id == Center.id)
    .where(Lot.state != LotState.DRAFT, Project.sandbox.is_(False))
    .order_by(Lot.bid_deadline.desc(), Lot.id.desc())
)


def lots_statement(state: str | None, f: Filters) -> Select[Any]:
    """Published, non-sandbox lots, latest deadline first; the date range is the deadline's."""
    stmt = _LOTS
    if f.center_ids is not None:
        stmt = stmt.where(Lot.center_id.in_(f.center_ids))  # ix_lot_center_deadline_id
    if f.category:
        stmt = stmt.where(Project.category == f.category)
    if state:
        stmt = stmt.where(Lot.state == state)
    if f.since is not None:
        stmt = stmt.where(Lot.bid_deadline >= f.since)
    if f.until is not None:
        stmt = stmt.where(Lot.bid_deadline < f.until)
    if f.q:
        like = like_pattern(f.q)
        stmt = stmt.where(
            or_(
                Project.title.like(like, escape=LIKE_ESCAPE),
                Lot.title.like(like, escape=LIKE_ESCAPE),
                Project.code.like(like, escape=LIKE_ESCAPE),
            )
        )
    if f.winner:
        stmt = stmt.where(Lot.id.in_(_won_by(f.winner)))
    return stmt


async def lot_list(
    session: AsyncSession,
    *,
    state: str | None = None,
    filters: Filters = Filters(),
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Paged:
    """One page of the public lot list, with its total."""
    return await _paged(session, lots_statement(state, filters), page, size)


# ---- one lot -----------------------------------------------------------------------------------

_Tenderer = aliased(Organization, name="tenderer")
_Agency = aliased(Organization, name="agency")

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
        Lot.failure_reason,
        Lot.docs_issued_at,
        Lot.docs_available_until,
        Lot.clarification_deadline,
        Lot.bid_deadline,
        Lot.evaluation_at,
        Lot.decrypt_window_minutes,
        Project.code.label("project_code"),
        Project.title.label("project_title"),
        Project.sandbox,
        Project.category,
        Project.method,
        Project.description,
        Project.location,
        Project.qualification,
        Project.contact_name,
        Project.contact_phone,
        _Tenderer.name.label("tenderer_name"),
        _Agency.name.label("agency_name"),
        Center.name.label("center_name"),
        Center.name_en.label("center_name_en"),
    )
    .join_from(Lot, Project, Lot.project_id == Project.id)
    .join(Center, Project.center_id == Center.id)
    .join(_Tenderer, _Tenderer.id == Project.tenderer_org_id)
    .outerjoin(_Agency, _Agency.id == Project.agency_org_id)
    .where(Lot.id == bindparam("lot_id"))
)
_LOT_HISTORY = (
    select(AuditEntry.at, AuditEntry.action, AuditEntry.seq)
    .where(
        AuditEntry.target_type == "lot",
        AuditEntry.target_id == bindparam("target_id"),
        AuditEntry.action.in_(sorted(LOT_HISTORY_ACTIONS)),
    )
    .order_by(AuditEntry.seq)
)
_LOT_ANNOUNCEMENTS = (
    select(
        Announcement.published_at,
        Announcement.kind,
        Announcement.title,
        Announcement.body,
        Announcement.id,
    )
    .where(
        Announcement.project_id == bindparam("project_id"),
        Announcement.state == AnnouncementState.PUBLISHED,
        or_(Announcement.lot_id.is_(None), Announcement.lot_id == bindparam("lot_id")),
    )
    .order_by(Announcement.published_at, Announcement.id)
)
_LOT_DOCUMENTS = (
    select(Document.id, Document.name, Document.size, Document.sha256, Document.created_at)
    .where(Document.lot_id == bindparam("lot_id"))
    .order_by(Document.id)
)
# Answered questions only, and never who asked (条例 21): the asker's column is not read.
_LOT_QUESTIONS = (
    select(Question.id, Question.text, Question.answer, Question.answered_at)
    .where(Question.lot_id == bindparam("lot_id"), Question.answer.is_not(None))
    .order_by(Question.answered_at, Question.id)
)


async def lot_view(session: AsyncSession, lot_id: int) -> Row[Any] | None:
    """One lot with the project, parties, contact and center columns the lot page shows."""
    return (await session.execute(_LOT_VIEW, {"lot_id": lot_id})).one_or_none()


def decrypt_minutes(lot: Row[Any]) -> int:
    """The lot's decryption window as the hall will apply it: its own, else its ruleset's."""
    try:
        ruleset = get_ruleset(lot.category, lot.method)
    except RuleConfigError:
        ruleset = None
    return windows.minutes(lot.decrypt_window_minutes, ruleset)


async def lot_history(session: AsyncSession, lot_id: int) -> Sequence[Row[Any]]:
    """The lot's public audit entries and amendments (time, action, sequence), oldest first."""
    return (await session.execute(_LOT_HISTORY, {"target_id": str(lot_id)})).all()


async def lot_announcements(
    session: AsyncSession, project_id: int, lot_id: int
) -> Sequence[Row[Any]]:
    """Published announcements of the lot or of its whole project, in publication order:
    (published_at, kind, title, body, id)."""
    params = {"project_id": project_id, "lot_id": lot_id}
    return (await session.execute(_LOT_ANNOUNCEMENTS, params)).all()


async def lot_documents(session: AsyncSession, lot_id: int) -> Sequence[Row[Any]]:
    """The lot's tender documents: id, name, size, SHA-256, added at."""
    return (await session.execute(_LOT_DOCUMENTS, {"lot_id": lot_id})).all()


async def lot_questions(session: AsyncSession, lot_id: int) -> Sequence[Row[Any]]:
    """The lot's answered questions (text, answer, answered at), without the asker."""
    return (await session.execute(_LOT_QUESTIONS, {"lot_id": lot_id})).all()


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One line of the lot page's timeline: an event of the log or an announcement."""

    at: datetime
    action: str | None = None  # an audit action (i18n `action.<x>`)
    seq: int | None = None
    announcement: Row[Any] | None = None


def lot_timeline(
    history: Sequence[Row[Any]], announcements: Sequence[Row[Any]]
) -> list[TimelineItem]:
    """History and announcements in one order of time (the log's order among equal times)."""
    items = [TimelineItem(at=e.at, action=e.action, seq=e.seq) for e in history]
    items += [TimelineItem(at=a.published_at, announcement=a) for a in announcements]
    # Stable sort: at equal times the log's entries (already in seq order) come first.
    return sorted(items, key=lambda i: i.at)


def award_savings(lot: Row[Any]) -> tuple[Decimal, Decimal | None] | None:
    """(savings amount, savings rate %) of an awarded lot row, else None (as lot_savings)."""
    if lot.state != LotState.AWARDED or lot.award_price is None:
        return None
    # The table's own rule for the amount savings are measured against, applied to the row.
    reference: Decimal = Lot.reference_price.fget(lot)  # type: ignore[attr-defined]
    return savings(reference, lot.award_price), savings_rate([(reference, lot.award_price)])
