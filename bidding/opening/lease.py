"""The per-lot lease: one runner decrypts a lot at a time, across processes; a runner that dies
lets another take over once its lease runs out (reconciliation retries every minute)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.models import Opening
from trading.kernel.clock import Clock
from trading.kernel.db import writing

# Renewed with every batch of outcomes; a runner that dies lets another take over after this long.
LEASE = timedelta(minutes=5)


async def take_lease(session: AsyncSession, lot_id: int, owner: str, clock: Clock) -> bool:
    async with writing(session):
        return await renew_lease(session, lot_id, owner, clock)


async def renew_lease(session: AsyncSession, lot_id: int, owner: str, clock: Clock) -> bool:
    """Inside the caller's write transaction: take or extend the lease; False if another runner
    holds it (so the caller writes nothing it decided without the lease)."""
    now = clock.now()
    result = await session.execute(
        update(Opening)
        .where(
            Opening.lot_id == lot_id,
            or_(
                Opening.lease_owner.is_(None),
                Opening.lease_owner == owner,
                Opening.lease_until < now,
            ),
        )
        .values(lease_owner=owner, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def drop_lease(session: AsyncSession, lot_id: int, owner: str) -> None:
    if session.in_transaction():
        await session.rollback()
    async with writing(session):
        await session.execute(
            update(Opening)
            .where(Opening.lot_id == lot_id, Opening.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
