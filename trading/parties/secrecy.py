"""Who bids stays secret until the opening (招标投标法 22): audit entries written while a lot
takes bids name the bidder by a salted commitment, and carry no user, name or address.

The salt is per lot, drawn at the lot's first bidder action and revealed in the signed opening
record; anyone can then recompute each commitment (crypto.labels.bidder_commitment).
"""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.encoding import b64u_decode, b64u_encode
from crypto.labels import bidder_commitment
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.parties.models import LotSecrecy


async def revealed_salt(session: AsyncSession, lot_id: int) -> str | None:
    """For the opening record only."""
    return await session.scalar(select(LotSecrecy.salt).where(LotSecrecy.lot_id == lot_id))


async def masked_bidder(session: AsyncSession, lot_id: int, uscc: str) -> tuple[Actor, str]:
    connection = await session.connection()
    return await connection.run_sync(masked_bidder_in, lot_id, uscc)


def masked_bidder_in(connection: Connection, lot_id: int, uscc: str) -> tuple[Actor, str]:
    """The actor an audit entry records for a bidder acting on a live lot, and its commitment.

    The lot's salt is drawn on first use inside the caller's write transaction (which holds
    the lot, so two first bidders cannot draw two salts)."""
    found = connection.scalar(_SALT, {"lot_id": lot_id})
    if found is None:
        found = b64u_encode(secrets.token_bytes(32))
        connection.execute(insert(LotSecrecy.__table__).values(lot_id=lot_id, salt=found))
    return masked_as(found, uscc)


def masked_as(salt: str, uscc: str) -> tuple[Actor, str]:
    """`masked_bidder` from a salt already read (it never changes once drawn)."""
    commitment = bidder_commitment(b64u_decode(salt, length=32), uscc)
    actor = Actor(user_id=None, name=f"bidder:{commitment[:16]}", roles=frozenset({Role.BIDDER}))
    return actor, commitment


_SALT = select(LotSecrecy.salt).where(LotSecrecy.lot_id == bindparam("lot_id"))


async def commitment_of(session: AsyncSession, lot_id: int, uscc: str) -> str | None:
    """A bidder's commitment on a lot, if the lot has a salt yet (its own entries, for itself)."""
    salt = await revealed_salt(session, lot_id)
    return None if salt is None else bidder_commitment(b64u_decode(salt, length=32), uscc)
