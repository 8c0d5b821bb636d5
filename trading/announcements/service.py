"""Making and reading a project's announcements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements.models import Announcement, AnnouncementKind, AnnouncementState
from trading.kernel.cache import invalidate_on_commit


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
    """Build an announcement made at `at`, add it to the session and return it.

    With `publish` it is published at `at`; otherwise it stays a draft with no
    `published_at`. It does not flush or commit: callers are inside their write
    transaction, so the announcement lands (or not) with the transition it records.
    """
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
