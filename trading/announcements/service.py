"""Reading a project's announcements."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements.models import Announcement


async def announcements_for(session: AsyncSession, project_id: int) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.project_id == project_id, Announcement.state == "published")
        .order_by(Announcement.published_at)
    )
    return list(rows.all())
