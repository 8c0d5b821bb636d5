"""A bidder's inbox: notices written to the bidders registered for a lot (answers,
amendments), its letters, and the notices other layers derive (NOTICE_SOURCES)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation.models import Notice, Registration
from trading.announcements.letters import letters_of
from trading.kernel.actor import Actor
from trading.projects.models import Lot


async def notify_registered(
    session: AsyncSession, lot: Lot, kind: str, text: str, now: datetime
) -> None:
    """A notice to every bidder registered for the lot (an answer, an amendment)."""
    orgs = await session.scalars(
        select(Registration.bidder_org_id).where(Registration.lot_id == lot.id)
    )
    for org_id in orgs:
        session.add(
            Notice(lot_id=lot.id, bidder_org_id=org_id, kind=kind, text=text, created_at=now)
        )


@dataclass(frozen=True)
class InboxItem:
    """One line of a bidder's notices: a notice row, or an award letter (its PDF at href)."""

    id: int
    lot_id: int
    kind: str
    text: str
    created_at: datetime
    href: str | None = None


# Notices another layer derives from what it published (evaluation's results: candidates,
# rejection, award), joined by the composition root (bidhall/notices.py): bidding may not
# import evaluation.
NoticeSource = Callable[[AsyncSession, Actor], Awaitable[Sequence[InboxItem]]]
NOTICE_SOURCES: dict[str, NoticeSource] = {}


async def notices(session: AsyncSession, actor: Actor) -> list[InboxItem]:
    """The bidder's notices (answers, amendments, reminders), its award letters (kind
    ``award_letter`` / ``result_letter``) and the NOTICE_SOURCES' notices, newest first: the
    API and the workspace page."""
    if actor.org_id is None:
        return []
    rows = await session.scalars(select(Notice).where(Notice.bidder_org_id == actor.org_id))
    items = [InboxItem(n.id, n.lot_id, n.kind, n.text, n.created_at) for n in rows]
    items += [
        InboxItem(
            x.id,
            x.lot_id,
            f"{x.kind}_letter",
            x.title,
            x.created_at,
            f"/api/v1/letters/{x.id}/letter.pdf",
        )
        for x in await letters_of(session, actor)
    ]
    for source in NOTICE_SOURCES.values():
        items += await source(session, actor)
    return sorted(items, key=lambda n: n.created_at, reverse=True)
