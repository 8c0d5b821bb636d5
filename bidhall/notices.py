"""Joins evaluation's result notices to the bidder's inbox (bidding.inbox.notices):
bidding may not import evaluation, so the composition root connects the two."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation import inbox
from evaluation.outcome.service import result_notices
from trading.kernel.actor import Actor


async def _results(session: AsyncSession, actor: Actor) -> list[inbox.InboxItem]:
    return [
        inbox.InboxItem(n.id, n.lot_id, n.kind, n.text, n.created_at, n.href)
        for n in await result_notices(session, actor)
    ]


def install_result_notices() -> None:
    """Idempotent: every app (and test client) built in a process installs the same source."""
    inbox.NOTICE_SOURCES["evaluation.outcome"] = _results
