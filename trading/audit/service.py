"""Appending to and checking the hash-linked audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.canonical import canonical_json
from trading.actor import Actor
from trading.audit.models import AuditEntry
from trading.db import advisory_lock

AUDIT_LOCK_KEY = 0x6269646861  # "bidha": one PostgreSQL advisory lock for the log's tail
GENESIS = "0" * 64


async def append(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int,
    *,
    at: datetime,
    center_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's write transaction."""
    await advisory_lock(session, AUDIT_LOCK_KEY)
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.entry_hash
    record = {
        "seq": seq,
        "at": at.isoformat(),
        "actor_id": actor.user_id,
        "actor": actor.name,
        "role": actor.role,
        "ip": actor.ip,
        "action": action,
        "target": {"type": target_type, "id": str(target_id)},
        "center_id": center_id,
        "detail": detail or {},
        "prev_hash": prev_hash,
    }
    body = canonical_json(record)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=actor.user_id,
        actor=actor.name,
        role=actor.role,
        ip=actor.ip,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        center_id=center_id,
        body=body.decode("utf-8"),
        entry_hash=hashlib.sha256(body).hexdigest(),
    )
    session.add(entry)
    await session.flush()
    return entry


def chain_errors(entries: Sequence[AuditEntry]) -> list[str]:
    """Every break in the chain: an edited body, a removed or reordered entry."""
    errors: list[str] = []
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        record = json.loads(entry.body)
        if entry.seq != expected_seq or record.get("seq") != expected_seq:
            errors.append(f"entry {entry.seq}: expected sequence number {expected_seq}")
        if hashlib.sha256(entry.body.encode("utf-8")).hexdigest() != entry.entry_hash:
            errors.append(f"entry {entry.seq}: body does not match its hash")
        if record.get("prev_hash") != prev:
            errors.append(f"entry {entry.seq}: not linked to the previous entry")
        if record.get("action") != entry.action or record["target"]["id"] != entry.target_id:
            errors.append(f"entry {entry.seq}: columns differ from the hashed body")
        prev = entry.entry_hash
    return errors


async def load_all(session: AsyncSession) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())


async def for_target(
    session: AsyncSession, target_type: str, target_id: str | int
) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
        .order_by(AuditEntry.seq)
    )
    return list(rows.all())


async def load_range(session: AsyncSession, start: int, limit: int) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.seq >= start).order_by(AuditEntry.seq).limit(limit)
    )
    return list(rows.all())
