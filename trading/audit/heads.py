"""The audit log's signed tree heads and its proofs (RFC 6962), from the stored tree.

A head is planned from a read snapshot and signed before the log's lock is taken; under the
lock one statement stores it if the latest head is still the one it extends. Proofs are
composed from O(log n) stored subtrees; the leaf hashes served are hashed from the bodies as
they stand (trading/audit/service.py appends them; trading/audit/tree.py stores the tree).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from crypto.canonical import canonical_json
from crypto.keys import Identity, key_id
from crypto.merkle import CompactRange, Node, leaf_of
from trading.audit.models import AuditEntry, TreeHead
from trading.audit.service import AUDIT_LOCK_KEY
from trading.audit.tree import Rehash, read_nodes
from trading.kernel.db import advisory_lock, writing
from trading.kernel.errors import Conflict, NotFound, ValidationFailed

if TYPE_CHECKING:
    from trading.kernel.runtime import Runtime

log = logging.getLogger("bidhall.audit")


class TamperAlarm(Conflict):
    """The stored log no longer matches what the platform signed: nothing is signed over it."""


def _mismatch(size: int, why: str) -> TamperAlarm:
    return TamperAlarm(
        "审计日志与已发布的树头不一致，拒绝签发 / the audit log no longer matches"
        f" the signed tree head of size {size}: entries were edited, deleted or reordered"
        f" ({why})"
    )


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


# Built once (a head or a proof is a few primary-key lookups; building statements would cost
# more): the latest head's size and root and the log's size, in one round trip.
# Table columns, not mapped attributes: nothing here may configure the mappers at import.
_HEADS, _ENTRIES = TreeHead.__table__.c, AuditEntry.__table__.c
_LATEST = select(_HEADS.tree_size, _HEADS.root).order_by(_HEADS.tree_size.desc()).limit(1)
_STATE = select(
    _LATEST.with_only_columns(_HEADS.tree_size).scalar_subquery(),
    _LATEST.with_only_columns(_HEADS.root).scalar_subquery(),
    select(func.max(_ENTRIES.seq)).scalar_subquery(),
)


async def _state(session: AsyncSession) -> tuple[int | None, str | None, int]:
    """(the latest head's size, its root, the log's size), None for no head."""
    size, root, current = (await session.execute(_STATE)).one()
    return (None if size is None else int(size)), root, int(current or 0)


@dataclass(frozen=True)
class HeadPlan:
    """A head worked out before it is signed: its size and root, the latest head's size it
    extends and the stored edge of that head's tree, and whether the stored tree after that
    head must first be rebuilt from the bodies."""

    old: int
    edge: tuple[bytes, ...]
    size: int
    root: bytes
    rebuild: bool
    differs: int | None  # the first entry whose stored leaf differs from its body


async def plan_head(session: AsyncSession, old: int, old_root: str | None, size: int) -> HeadPlan:
    """Work out the head of ``size`` entries extending the latest head (of ``old`` entries and
    ``old_root``; 0 and None for none), reading only.

    The stored edge of the latest head's tree must fold to its signed root (O(log n) rows);
    the entries after it are read and hashed again (off the event loop when many) and must
    be gap-free: the new head signs them as their bodies stand. The signed prefix itself is
    not read again: its stored subtrees are what the latest head signed, so the new head
    commits to the same prefix whatever was done to its bodies since (a body edited there
    no longer matches any head, which verifiers and `bidhall audit check-chain` report).
    Raises :class:`TamperAlarm` when the stored tree no longer gives the latest head.
    """
    if size < old:
        raise _mismatch(old, f"the log now has {size} entries")
    edge_nodes, new_nodes = merkle.root_nodes(old), merkle.root_nodes(size)
    stored = await read_nodes(session, {*edge_nodes, *new_nodes})
    if old_root is not None and (
        any(n not in stored for n in edge_nodes)
        or merkle.fold([stored[n] for n in edge_nodes]).hex() != old_root
    ):
        raise _mismatch(old, "its stored tree hashes differ")
    edge = tuple(stored[n] for n in edge_nodes)
    check = await Rehash(CompactRange(old, edge)).run(session, size)
    if check.gap is not None:
        raise _mismatch(old, f"entry {check.gap} is missing")
    root = check.edge.root()
    rebuild = (
        check.differs is not None
        or any(n not in stored for n in new_nodes)
        or merkle.fold([stored[n] for n in new_nodes]) != root
    )
    return HeadPlan(old, edge, size, root, rebuild, check.differs)


def _signed(platform: Identity, now: datetime, plan: HeadPlan) -> TreeHead:
    """The planned head, signed (not yet stored)."""
    sth = merkle.sign_tree_head(
        platform.sign_priv, plan.size, plan.root, now.isoformat(), key_id(platform.sign_pub)
    )
    return TreeHead(
        tree_size=plan.size,
        root=sth["root"],
        timestamp=now,
        signature=sth["signature"],
        key_id=sth["key_id"],
        sth=canonical_json(sth).decode("utf-8"),
    )


def _row(head: TreeHead) -> dict[str, Any]:
    return {c.key: getattr(head, c.key) for c in _HEADS}


async def _sign(
    session: AsyncSession, platform: Identity, now: datetime, plan: HeadPlan
) -> TreeHead:
    """Store the planned head, under the log's lock in a write transaction."""
    if plan.rebuild:
        log.warning(
            "audit tree: stored hashes after entry %d differ from the bodies (first at %s);"
            " rebuilt from the bodies before signing",
            plan.old,
            plan.differs,
        )
        await Rehash(CompactRange(plan.old, plan.edge), created=[]).run(session, plan.size)
    head = _signed(platform, now, plan)
    session.add(head)
    await session.flush()
    return head


# The head inserted only while the latest head is still the one it extends (a compare-and-set
# in one statement: the check and the insert are one round trip inside the lock).
_INSERT_IF_LATEST = insert(TreeHead.__table__).from_select(
    [c.key for c in _HEADS],
    select(*(bindparam(c.key, type_=c.type) for c in _HEADS)).where(
        func.coalesce(select(func.max(_HEADS.tree_size)).scalar_subquery(), 0) == bindparam("old")
    ),
)


async def publish_head(session: AsyncSession, platform: Identity, now: datetime) -> TreeHead:
    """Sign and store a head over the whole log INSIDE the caller's write transaction
    (it commits or rolls back with the caller's writes, as the opening needs); idempotent
    while the log has not grown.

    Cost under the caller's lock: O(log n) stored subtrees plus the entries appended since
    the latest head (:func:`plan_head`); the scheduler publishes every few minutes, so that
    tail is short. Should the tail's stored hashes differ from its bodies (an edit before
    any head covered it), the stored tree after the latest head is rebuilt from the bodies
    first, and logged. Raises :class:`TamperAlarm` (a Conflict) when the stored tree no
    longer gives the latest head or the tail has a gap: the caller should roll back.
    """
    await advisory_lock(session, AUDIT_LOCK_KEY)  # the tail holds still while it is signed
    old, old_root, size = await _state(session)
    if old is not None and size == old:
        return await _head(session, old)
    plan = await plan_head(session, old or 0, old_root, size)
    return await _sign(session, platform, now, plan)


async def _head(session: AsyncSession, size: int) -> TreeHead:
    head = await session.get(TreeHead, size)
    if head is None:  # just read as the latest: only a deletion behind the log's back
        raise _mismatch(size, "the head itself was deleted")
    return head


async def check_signed_prefix(session: AsyncSession, head: TreeHead) -> None:
    """Hash the first ``head.tree_size`` bodies again (streamed in batches, off the event
    loop) and raise :class:`TamperAlarm` unless they are all there, match their stored
    leaf hashes and give the head's root. O(n): a sweep (as `bidhall audit check-chain`),
    never on the path of a head or a request."""
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

    The head is worked out from a read snapshot, outside any write transaction
    (:func:`plan_head`: O(log n) stored subtrees plus the entries since the latest head),
    and signed. The write transaction then only takes the log's lock and inserts the head
    if the latest head is still the one planned from (one statement); if anything moved
    (another publisher) or a rebuild is due, it falls back to :func:`publish_head` under
    the lock.
    """
    old, old_root, size = await _state(session)
    if old is not None and old == size:
        return await _head(session, old)  # the cheap path the scheduler takes most of the time
    plan = await plan_head(session, old or 0, old_root, size)
    if not plan.rebuild:
        # Signed before the lock is taken: under it, one statement inserts the head if the
        # latest head is still the planned one. The stored subtrees the plan folded cannot
        # change meanwhile: appends only add subtrees over later leaves, and a rebuild is
        # always followed by its own head, which the compare-and-set sees.
        head = _signed(platform, now, plan)
        async with writing(session):
            await advisory_lock(session, AUDIT_LOCK_KEY)
            done = await session.execute(_INSERT_IF_LATEST, {**_row(head), "old": plan.old})
            if done.rowcount == 1:
                return head
    async with writing(session):
        await advisory_lock(session, AUDIT_LOCK_KEY)
        current = (await _state(session))[0] or 0
        if current >= plan.size:
            return await _head(session, current)  # another publisher's head covers these
        return await publish_head(session, platform, now)


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


_BODY = select(_ENTRIES.body).where(_ENTRIES.seq == bindparam("seq"))


async def _sizes(session: AsyncSession, tree_size: int | None) -> tuple[int, int]:
    """The tree size asked for (by default the latest head's) and the log's size."""
    latest, _, current = await _state(session)
    if tree_size is None:
        if latest is None:
            raise NotFound("尚未发布签名树头 / no signed tree head published yet")
        tree_size = latest
    return tree_size, current


async def inclusion(session: AsyncSession, seq: int, tree_size: int | None) -> dict[str, Any]:
    """The audit path proving entry ``seq`` is leaf seq-1 of the tree of ``tree_size``:
    O(log n) stored subtrees; the leaf hash is hashed from the body as it stands."""
    size, current = await _sizes(session, tree_size)
    if not 1 <= seq <= size:
        raise ValidationFailed(f"seq {seq} 不在树内 / seq {seq} is outside a tree of size {size}")
    if size > current:
        raise NotFound(f"树大小 {size} 超过日志长度 {current} / the log has only {current} entries")
    body = await session.scalar(_BODY, {"seq": seq})
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
    size, current = await _sizes(session, second)
    if not 0 <= first <= size:
        raise ValidationFailed(f"first={first} 必须在 0..{size} / first must be within 0..{size}")
    if size > current:
        raise NotFound(f"树大小 {size} 超过日志长度 {current} / the log has only {current} entries")
    proof = await _compose(session, merkle.consistency_nodes(first, size), size)
    return {"first": first, "second": size, "proof": [p.hex() for p in proof]}
