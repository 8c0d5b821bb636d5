"""Who bids stays secret until the opening (招标投标法 22): audit entries written while a lot
takes bids name the bidder by a salted commitment, and carry no user, name or address.

The salt is per lot, drawn at the lot's first bidder action and revealed in the signed opening
record; anyone can then recompute each commitment (crypto.labels.bidder_commitment).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.encoding import b64u_decode, b64u_encode
from crypto.labels import bidder_commitment
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.parties.models import LotSecrecy


async def lot_salt(session: AsyncSession, lot_id: int) -> bytes:
    """The lot's salt, drawn on first use inside the caller's write transaction (which holds the
    lot, so two first bidders cannot draw two salts)."""
    found = await session.scalar(select(LotSecrecy.salt).where(LotSecrecy.lot_id == lot_id))
    if found is None:
        found = b64u_encode(secrets.token_bytes(32))
        session.add(LotSecrecy(lot_id=lot_id, salt=found))
        await session.flush()
    return b64u_decode(found, length=32)


async def revealed_salt(session: AsyncSession, lot_id: int) -> str | None:
    """For the opening record only."""
    return await session.scalar(select(LotSecrecy.salt).where(LotSecrecy.lot_id == lot_id))


async def masked_bidder(session: AsyncSession, lot_id: int, uscc: str) -> tuple[Actor, str]:
    """The actor an audit entry records for a bidder acting on a live lot, and its commitment."""
    commitment = bidder_commitment(await lot_salt(session, lot_id), uscc)
    actor = Actor(user_id=None, name=f"bidder:{commitment[:16]}", roles=frozenset({Role.BIDDER}))
    return actor, commitment


async def commitment_of(session: AsyncSession, lot_id: int, uscc: str) -> str | None:
    """A bidder's commitment on a lot, if the lot has a salt yet (its own entries, for itself)."""
    salt = await revealed_salt(session, lot_id)
    return None if salt is None else bidder_commitment(b64u_decode(salt, length=32), uscc)
