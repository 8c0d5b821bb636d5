"""A party registers its own public keys; the platform certifies them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.errors import CryptoError
from crypto.keys import PublicIdentity
from crypto.signing import certify
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Forbidden, ValidationFailed
from trading.parties.models import PartyKey


async def register_keys(
    session: AsyncSession,
    actor: Actor,
    public: dict[str, str],
    *,
    now: datetime,
    platform_sign_priv: bytes,
) -> PartyKey:
    """Record a party's public keys with the platform's certificate; older keys are revoked."""
    if actor.user_id is None:
        raise Forbidden("请先登录 / sign in first")
    try:
        pub = PublicIdentity.from_dict(public)
    except CryptoError as exc:
        raise ValidationFailed(f"keys: {exc}") from exc
    keys = pub.to_dict()
    certificate = certify(
        platform_sign_priv,
        {
            "party_id": f"user:{actor.user_id}",
            "name": actor.name,
            "sign_pub": keys["sign_pub"],
            "enc_pub": keys["enc_pub"],
            "issued_at": now.isoformat(),
        },
    )
    async with writing(session):
        old = await session.scalars(
            select(PartyKey).where(PartyKey.user_id == actor.user_id, PartyKey.revoked_at.is_(None))
        )
        for key in old:
            key.revoked_at = now
        party_key = PartyKey(
            user_id=actor.user_id,
            sign_pub=keys["sign_pub"],
            enc_pub=keys["enc_pub"],
            certificate=certificate,
            created_at=now,
        )
        session.add(party_key)
        await audit.append(
            session, actor, "keys.register", "user", actor.user_id, at=now, detail=keys
        )
    return party_key
