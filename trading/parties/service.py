"""Parties: the organization directory (by name or USCC); a party registers its own public keys
and the platform certifies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.errors import CryptoError
from crypto.keys import PublicIdentity
from crypto.signing import certify
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.db import advisory_lock, writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.parties.models import Organization, PartyKey

# Per-user advisory lock keys ("KEY" << 40): registering and revoking a user's keys serialise.
KEYS_LOCK_BASE = 0x4B4559 << 40


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
        await advisory_lock(session, KEYS_LOCK_BASE + actor.user_id)  # one current key per user
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


async def revoke_key(
    session: AsyncSession, actor: Actor, key_id: int, *, now: datetime
) -> PartyKey:
    """A party revokes one of its own keys (lost or exposed): from now on nothing signed with
    it is accepted and nothing new is sealed to it. Another user's key is "not found"."""
    if actor.user_id is None:
        raise Forbidden("请先登录 / sign in first")
    async with writing(session):
        await advisory_lock(session, KEYS_LOCK_BASE + actor.user_id)
        # Compare-and-set: of two racing revocations exactly one changes the row.
        done = await session.execute(
            update(PartyKey)
            .where(
                PartyKey.id == key_id,
                PartyKey.user_id == actor.user_id,
                PartyKey.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        key = await session.scalar(
            select(PartyKey)
            .where(PartyKey.id == key_id, PartyKey.user_id == actor.user_id)
            .execution_options(populate_existing=True)
        )
        if key is None:
            raise NotFound("没有这把密钥 / no such key of yours")
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("该密钥已被吊销 / this key is already revoked")
        await audit.append(
            session,
            actor,
            "keys.revoke",
            "user",
            actor.user_id,
            at=now,
            detail={"key_id": key.id, "sign_pub": key.sign_pub, "enc_pub": key.enc_pub},
        )
    return key


# ---- the organization directory --------------------------------------------------------------

# LIKE's escape character: a `%`, `_` or backslash typed by a user matches itself only.
LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ``escape=LIKE_ESCAPE``) matching `text` anywhere, literally."""
    return f"%{escape_like(text)}%"


@dataclass(frozen=True, slots=True)
class OrgPage:
    rows: list[Organization]
    total: int
    limit: int
    offset: int


async def search_organizations(
    session: AsyncSession, q: str = "", *, limit: int = 50, offset: int = 0
) -> OrgPage:
    """Organizations whose name contains `q` or whose USCC (统一社会信用代码) starts with it,
    by name; a page of them with the total that match (no silent cap)."""
    stmt = select(Organization)
    q = q.strip()
    if q:
        stmt = stmt.where(
            or_(
                Organization.name.like(contains_pattern(q), escape=LIKE_ESCAPE),
                Organization.uscc.like(f"{escape_like(q.upper())}%", escape=LIKE_ESCAPE),
            )
        )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.scalars(
        stmt.order_by(Organization.name, Organization.id).limit(limit).offset(offset)
    )
    return OrgPage(list(rows), total, limit, offset)


async def organization_by_uscc(session: AsyncSession, uscc: str) -> Organization | None:
    return await session.scalar(
        select(Organization).where(Organization.uscc == uscc.strip().upper())
    )
