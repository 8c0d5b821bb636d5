"""Appending to and checking the hash-linked audit log, and its Merkle tree (RFC 6962).

The log is also a Merkle tree whose leaf i is the canonical body of the entry with
seq i + 1. Signed tree heads commit the platform to a prefix of the log; inclusion and
consistency proofs are computed from the stored bodies on request. Each root or proof
hashes the whole prefix (O(n)): fine up to ~10^5 entries per request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from crypto.canonical import canonical_json
from crypto.keys import Identity, key_id
from crypto.merkle import GENESIS, leaf_of
from trading.audit.models import AuditEntry, TreeHead
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.db import advisory_lock, writing
from trading.kernel.errors import Conflict, NotFound, ValidationFailed
from trading.projects.models import Lot

if TYPE_CHECKING:
    from trading.kernel.runtime import Runtime

log = logging.getLogger("bidhall.audit")

AUDIT_LOCK_KEY = 0x6269646861  # "bidha": one PostgreSQL advisory lock for the log's tail
HEAD_LOCK_KEY = 0x6269646874  # "bidht": publishing tree heads, one at a time
# Once a lot is past its opening, its bids are public anyway: its entries may be too.
OPENED_STATES = (
    LotState.OPENED,
    LotState.EVALUATED,
    LotState.PUBLICITY,
    LotState.AWARDED,
    LotState.FAILED,
)


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


# ---- the Merkle tree and its signed heads ----------------------------------------------------


async def log_size(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(AuditEntry.seq))) or 0)


async def leaf_hashes(
    session: AsyncSession, start: int = 1, limit: int | None = None
) -> list[bytes]:
    """Leaf hashes of the entries from ``start`` (a seq), in log order."""
    query = select(AuditEntry.body).where(AuditEntry.seq >= start).order_by(AuditEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    return [leaf_of(body) for body in await session.scalars(query)]


async def latest_head(session: AsyncSession) -> TreeHead | None:
    return await session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))


async def list_heads(
    session: AsyncSession, limit: int, before: int | None = None
) -> list[TreeHead]:
    """Newest first; ``before`` pages back by tree size."""
    query = select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(limit)
    if before is not None:
        query = query.where(TreeHead.tree_size < before)
    return list((await session.scalars(query)).all())


def head_json(head: TreeHead) -> dict[str, Any]:
    return dict(json.loads(head.sth))


async def publish_tree_head(session: AsyncSession, platform: Identity, now: datetime) -> TreeHead:
    """Sign and store a head over the whole log; idempotent while the log has not grown.

    Before signing, the log is checked against the previous head: a log that was edited,
    truncated or reordered since is refused (a tamper alarm), never signed over.
    """
    if (latest := await latest_head(session)) is not None and latest.tree_size == await log_size(
        session
    ):
        return latest  # the cheap path the scheduler takes most of the time
    async with writing(session):
        await advisory_lock(session, HEAD_LOCK_KEY)
        latest = await latest_head(session)
        leaves = await leaf_hashes(session)
        size = len(leaves)
        if latest is not None:
            if latest.tree_size == size:
                return latest
            if size < latest.tree_size or merkle.root(leaves[: latest.tree_size]).hex() != (
                latest.root
            ):
                raise Conflict(
                    "审计日志与已发布的树头不一致，拒绝签发 / the audit log no longer matches"
                    f" the signed tree head of size {latest.tree_size}: entries were edited,"
                    " deleted or reordered"
                )
        root = merkle.root(leaves)
        sth = merkle.sign_tree_head(
            platform.sign_priv, size, root, now.isoformat(), key_id(platform.sign_pub)
        )
        head = TreeHead(
            tree_size=size,
            root=sth["root"],
            timestamp=now,
            signature=sth["signature"],
            key_id=sth["key_id"],
            sth=canonical_json(sth).decode("utf-8"),
        )
        session.add(head)
    return head


async def publish_for(rt: Runtime) -> TreeHead | None:
    """The scheduler's and the opening's hook: publish a head now; a tamper alarm is logged
    (and the head withheld) instead of crashing the caller."""
    try:
        async with rt.sessionmaker() as session:
            return await publish_tree_head(session, rt.platform, rt.clock.now())
    except Conflict as exc:
        log.error("tree head not published: %s", exc.message)
        return None


async def _tree_size_or_latest(session: AsyncSession, tree_size: int | None) -> int:
    if tree_size is not None:
        return tree_size
    latest = await latest_head(session)
    if latest is None:
        raise NotFound("尚未发布签名树头 / no signed tree head published yet")
    return latest.tree_size


async def inclusion(session: AsyncSession, seq: int, tree_size: int | None) -> dict[str, Any]:
    """The audit path proving entry ``seq`` is leaf seq-1 of the tree of ``tree_size``."""
    size = await _tree_size_or_latest(session, tree_size)
    current = await log_size(session)
    if not 1 <= seq <= size:
        raise ValidationFailed(f"seq {seq} 不在树内 / seq {seq} is outside a tree of size {size}")
    if size > current:
        raise NotFound(f"树大小 {size} 超过日志长度 {current} / the log has only {current} entries")
    leaves = await leaf_hashes(session, limit=size)
    path = merkle.inclusion_proof(seq - 1, leaves)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": leaves[seq - 1].hex(),
        "audit_path": [p.hex() for p in path],
    }


async def consistency(session: AsyncSession, first: int, second: int | None) -> dict[str, Any]:
    """The proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""
    size = await _tree_size_or_latest(session, second)
    current = await log_size(session)
    if not 0 <= first <= size:
        raise ValidationFailed(f"first={first} 必须在 0..{size} / first must be within 0..{size}")
    if size > current:
        raise NotFound(f"树大小 {size} 超过日志长度 {current} / the log has only {current} entries")
    leaves = await leaf_hashes(session, limit=size)
    proof = merkle.consistency_proof(first, leaves)
    return {"first": first, "second": size, "proof": [p.hex() for p in proof]}


async def public_entries(session: AsyncSession, start: int, limit: int) -> list[AuditEntry]:
    """Entries about lots already opened: their bids are public, so are these bodies."""
    opened = select(cast(Lot.id, String)).where(Lot.state.in_([s.value for s in OPENED_STATES]))
    rows = await session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.seq >= start,
            AuditEntry.target_type == "lot",
            AuditEntry.target_id.in_(opened),
        )
        .order_by(AuditEntry.seq)
        .limit(limit)
    )
    return list(rows.all())
