"""Appending to and checking the hash-linked audit log, and its Merkle tree (RFC 6962).

The log is also a Merkle tree whose leaf i is the canonical body of the entry with
seq i + 1. append() stores the leaf hash and every subtree that leaf completes
(audit_node) in the entry's own transaction, so a root or proof of any size is composed
from O(log n) stored hashes. The bodies stay the source of truth: the leaves served and
the leaf hash of a proof are hashed from them, and publishing a head checks the stored
tree against the bodies it has not yet signed (and, on the standalone path, the bodies
it has) before signing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from crypto.canonical import canonical_json
from crypto.keys import Identity, key_id
from crypto.merkle import GENESIS, CompactRange, Node, leaf_of
from trading.audit.models import AuditEntry, TreeHead
from trading.audit.tree import (
    Rehash,
    grow_tree,
    hashing,
    leaves_of,
    read_nodes,
)
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.db import advisory_lock, writing
from trading.kernel.errors import Conflict, NotFound, ValidationFailed
from trading.projects.models import Lot

if TYPE_CHECKING:
    from trading.kernel.runtime import Runtime

log = logging.getLogger("bidhall.audit")
T = TypeVar("T")

# "bidha": one PostgreSQL advisory lock for the log's tail; appends and heads both take it.
AUDIT_LOCK_KEY = 0x6269646861
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
    await grow_tree(session, seq - 1, leaf_of(entry.body))
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


class TamperAlarm(Conflict):
    """The stored log no longer matches what the platform signed: nothing is signed over it."""


def _mismatch(size: int, why: str) -> TamperAlarm:
    return TamperAlarm(
        "审计日志与已发布的树头不一致，拒绝签发 / the audit log no longer matches"
        f" the signed tree head of size {size}: entries were edited, deleted or reordered"
        f" ({why})"
    )


async def log_size(session: AsyncSession) -> int:
    """The number of entries: seqs have no gaps, so the last one (an index lookup, not a
    count over the table)."""
    return int(await session.scalar(select(func.max(AuditEntry.seq))) or 0)


async def leaf_hashes(
    session: AsyncSession, start: int = 1, limit: int | None = None
) -> list[bytes]:
    """Leaf hashes of the entries from ``start`` (a seq), in log order, hashed from the
    bodies as they stand: what an outside verifier recomputes, so an edited body shows."""
    query = select(AuditEntry.body).where(AuditEntry.seq >= start).order_by(AuditEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    bodies = list(await session.scalars(query))
    return await hashing(len(bodies), leaves_of, bodies)


async def _compose(
    session: AsyncSession, groups: Sequence[Sequence[Node]], size: int
) -> list[bytes]:
    """Fold each group of stored subtrees: O(log n) rows in one query, O(log n) hashing."""
    wanted = {n for group in groups for n in group}
    nodes = await read_nodes(session, wanted)
    if len(nodes) < len(wanted):
        missing = min(wanted - nodes.keys())
        raise TamperAlarm(
            f"审计日志的树索引缺少子树 {missing} / the audit log's stored tree lacks subtree"
            f" {missing} of a tree of size {size}: rows were deleted"
        )
    return merkle.compose(groups, nodes)


# ---- signed tree heads ------------------------------------------------------------------------


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


async def publish_head(session: AsyncSession, platform: Identity, now: datetime) -> TreeHead:
    """Sign and store a head over the whole log INSIDE the caller's write transaction
    (it commits or rolls back with the caller's writes); idempotent while the log has not
    grown.

    Cost: O(log n) stored subtrees, plus the bodies appended since the latest head, which
    are hashed again (off the event loop when many): the stored tree must yield the latest
    head's root, and the new entries must be gap-free. Those new entries are signed as
    their bodies stand (as before stored hashes existed); should their stored leaf hashes
    or the new root's stored subtrees differ (a body edited before any head covered it),
    the stored tree after the latest head is rebuilt from the bodies first, and logged.
    Raises :class:`TamperAlarm` (a Conflict) otherwise: the caller should roll back.
    """
    await advisory_lock(session, AUDIT_LOCK_KEY)  # the tail holds still while it is signed
    latest = await latest_head(session)
    size = await log_size(session)
    old = 0 if latest is None else latest.tree_size
    if latest is not None and size == old:
        return latest
    if size < old:
        raise _mismatch(old, f"the log now has {size} entries")
    edge_nodes, new_nodes = merkle.root_nodes(old), merkle.root_nodes(size)
    stored = await read_nodes(session, {*edge_nodes, *new_nodes})
    if latest is not None and (
        any(n not in stored for n in edge_nodes)
        or merkle.fold([stored[n] for n in edge_nodes]).hex() != latest.root
    ):
        raise _mismatch(old, "its stored tree hashes differ")
    edge = [stored[n] for n in edge_nodes]
    check = await Rehash(CompactRange(old, edge)).run(session, size)
    if check.gap is not None:
        raise _mismatch(old, f"entry {check.gap} is missing")
    root = check.edge.root()
    if (
        check.differs is not None
        or any(n not in stored for n in new_nodes)
        or (merkle.fold([stored[n] for n in new_nodes]) != root)
    ):
        log.warning(
            "audit tree: stored hashes after entry %d differ from the bodies (first at %s);"
            " rebuilt from the bodies before signing",
            old,
            check.differs,
        )
        await Rehash(CompactRange(old, edge), created=[]).run(session, size)
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
    await session.flush()
    return head


async def check_signed_prefix(session: AsyncSession, head: TreeHead) -> None:
    """Hash the first ``head.tree_size`` bodies again (streamed in batches, off the event
    loop) and raise :class:`TamperAlarm` unless they are all there, match their stored
    leaf hashes and give the head's root. O(n): the full sweep, not for a request path."""
    check = await Rehash(CompactRange()).run(session, head.tree_size)
    if check.gap is not None:
        raise _mismatch(head.tree_size, f"entry {check.gap} is missing")
    if check.edge.root().hex() != head.root:
        raise _mismatch(head.tree_size, "the bodies give another root")
    if check.differs is not None:
        raise _mismatch(head.tree_size, f"entry {check.differs} differs from its stored leaf")


async def publish_tree_head(session: AsyncSession, platform: Identity, now: datetime) -> TreeHead:
    """Sign and store a head over the whole log in a transaction of its own; idempotent
    while the log has not grown.

    Before signing, the signed prefix is checked against the latest head from the bodies
    (:func:`check_signed_prefix`, outside the write transaction): a log that was edited,
    truncated or reordered since is refused (a tamper alarm), never signed over. Then
    :func:`publish_head` signs in a short write transaction.
    """
    latest = await latest_head(session)
    if latest is not None and latest.tree_size == await log_size(session):
        return latest  # the cheap path the scheduler takes most of the time
    if latest is not None:
        await check_signed_prefix(session, latest)
    async with writing(session):
        head = await publish_head(session, platform, now)
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


# ---- proofs -----------------------------------------------------------------------------------


async def _tree_size_or_latest(session: AsyncSession, tree_size: int | None) -> int:
    if tree_size is not None:
        return tree_size
    latest = await latest_head(session)
    if latest is None:
        raise NotFound("尚未发布签名树头 / no signed tree head published yet")
    return latest.tree_size


async def inclusion(session: AsyncSession, seq: int, tree_size: int | None) -> dict[str, Any]:
    """The audit path proving entry ``seq`` is leaf seq-1 of the tree of ``tree_size``:
    O(log n) stored subtrees; the leaf hash is hashed from the body as it stands."""
    size = await _tree_size_or_latest(session, tree_size)
    current = await log_size(session)
    if not 1 <= seq <= size:
        raise ValidationFailed(f"seq {seq} 不在树内 / seq {seq} is outside a tree of size {size}")
    if size > current:
        raise NotFound(f"树大小 {size} 超过日志长度 {current} / the log has only {current} entries")
    body = await session.scalar(select(AuditEntry.body).where(AuditEntry.seq == seq))
    if body is None:
        raise TamperAlarm(f"审计条目 {seq} 已不在日志中 / audit entry {seq} was deleted")
    path = await _compose(session, merkle.inclusion_nodes(seq - 1, size), size)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": leaf_of(body).hex(),
        "audit_path": [p.hex() for p in path],
    }


async def consistency(session: AsyncSession, first: int, second: int | None) -> dict[str, Any]:
    """The proof that the tree of size ``first`` is a prefix of the tree of size ``second``:
    O(log n) stored subtrees."""
    size = await _tree_size_or_latest(session, second)
    current = await log_size(session)
    if not 0 <= first <= size:
        raise ValidationFailed(f"first={first} 必须在 0..{size} / first must be within 0..{size}")
    if size > current:
        raise NotFound(f"树大小 {size} 超过日志长度 {current} / the log has only {current} entries")
    proof = await _compose(session, merkle.consistency_nodes(first, size), size)
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
