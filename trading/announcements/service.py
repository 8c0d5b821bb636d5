"""Announcements: publishing one (the only way a draft goes public) and reading them.

Build announcements with `trading.announcements.builders`, which renders each kind from the
lot's data; this module holds the state change and the visibility rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements.models import Announcement, AnnouncementKind, AnnouncementState
from trading.audit import service as audit
from trading.centers.scope import Material, may_see, visible_centers
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.cache import invalidate_on_commit
from trading.kernel.db import writing
from trading.kernel.errors import Forbidden, NotFound
from trading.projects.models import Project

_GONE = "公告 {id} 不存在 / announcement {id} not found"


def announce(
    session: AsyncSession,
    *,
    project_id: int,
    lot_id: int | None,
    kind: AnnouncementKind,
    title: str,
    body: str = "",
    at: datetime,
    publish: bool,
    digests: Sequence[str] = (),
) -> Announcement:
    """A bare announcement with no rendered document (kept for callers not yet on
    `builders`); it is added to the session, not flushed, and lands with the caller's
    transaction. Prefer `builders`: it renders the kind's template, audits, and attaches."""
    row = Announcement(
        project_id=project_id,
        lot_id=lot_id,
        kind=AnnouncementKind(kind).value,
        title=title,
        body=body,
        state=(AnnouncementState.PUBLISHED if publish else AnnouncementState.DRAFT).value,
        published_at=at if publish else None,
        digests=list(digests),
        created_at=at,
    )
    session.add(row)
    if publish:  # lot pages list the published ones: cached copies go with the commit
        invalidate_on_commit(session)
    return row


def may_publish(actor: Actor, project: Project) -> bool:
    """The center's staff publish its announcements; the system does for scheduled moves.
    (The tenderer/agency's own transitions publish theirs through the transition itself.)"""
    if actor.has("system"):
        return True
    return actor.has(Role.STAFF) and actor.center_id == project.center_id


async def publish_in(
    session: AsyncSession, row: Announcement, actor: Actor, *, now: datetime, center_id: int
) -> bool:
    """Inside the caller's write transaction: draft → published by compare-and-set, audited
    with the document's digest. False, changing nothing, when it was already published."""
    result = await session.execute(
        update(Announcement)
        .where(Announcement.id == row.id, Announcement.state == AnnouncementState.DRAFT.value)
        .values(state=AnnouncementState.PUBLISHED.value, published_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    invalidate_on_commit(session)
    await audit.append(
        session,
        actor,
        "announcement.publish",
        "announcement",
        row.id,
        at=now,
        center_id=center_id,
        detail={
            "kind": row.kind,
            "lot_id": row.lot_id,
            "sha256": row.sha256,
            "attachments": [a.get("sha256") for a in row.attachments],
        },
    )
    await session.refresh(row)
    return True


async def publish(
    session: AsyncSession, announcement_id: int, actor: Actor, *, now: datetime
) -> Announcement:
    """Publish a draft (for example a notice drafted before this module published them).
    Idempotent: publishing a published announcement returns it unchanged."""
    async with writing(session):
        row = await session.get(
            Announcement, announcement_id, with_for_update=True, populate_existing=True
        )
        project = await session.get(Project, row.project_id) if row is not None else None
        if row is None or project is None:
            raise NotFound(_GONE.format(id=announcement_id))
        if not may_publish(actor, project):
            if not await may_see_drafts(session, actor, project):
                raise NotFound(_GONE.format(id=announcement_id))
            raise Forbidden("无权发布该公告 / you may not publish this announcement")
        await publish_in(session, row, actor, now=now, center_id=project.center_id)
    return row


async def may_see_drafts(session: AsyncSession, actor: Actor, project: Project) -> bool:
    """Whoever has the project's center's unpublished work in scope (its staff, supervisors
    above it), and the tenderer/agency that owns the project."""
    if actor.has(Role.TENDERER, Role.AGENCY) and actor.org_id in {
        project.tenderer_org_id,
        project.agency_org_id,
    }:
        return True
    scope = await visible_centers(session, actor)
    return may_see(scope, project.center_id, Material.UNPUBLISHED)


async def visible(
    session: AsyncSession, announcement_id: int, actor: Actor
) -> tuple[Announcement, Project]:
    """The announcement if this actor may read it: the public reads published announcements
    of real projects; drafts and sandbox projects' announcements are as good as absent to
    them (404), and shown to those who may see the center's unpublished work."""
    row = await session.get(Announcement, announcement_id)
    project = await session.get(Project, row.project_id) if row is not None else None
    if row is None or project is None:
        raise NotFound(_GONE.format(id=announcement_id))
    public = row.state == AnnouncementState.PUBLISHED and not project.sandbox
    if not public and not await may_see_drafts(session, actor, project):
        raise NotFound(_GONE.format(id=announcement_id))
    return row, project


async def announcements_for(session: AsyncSession, project_id: int) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement)
        .where(
            Announcement.project_id == project_id,
            Announcement.state == AnnouncementState.PUBLISHED,
        )
        .order_by(Announcement.published_at)
    )
    return list(rows.all())


async def of_lot(session: AsyncSession, lot_id: int) -> list[Announcement]:
    """Every announcement of a lot (drafts too), in the order they were made."""
    rows = await session.scalars(
        select(Announcement).where(Announcement.lot_id == lot_id).order_by(Announcement.id)
    )
    return list(rows.all())
