"""Appending to and checking the hash-linked audit log, and its Merkle tree (RFC 6962).

The log is also a Merkle tree whose leaf i is the canonical body of the entry with
seq i + 1. append() stores the leaf hash and every subtree that leaf completes
(audit_node) in the entry's own transaction, so a root or proof of any size is composed
from O(log n) stored hashes. The bodies stay the source of truth: the leaves served and
the leaf hash of a proof are hashed from them, and publishing a head checks the stored
tree against the bodies it has not yet signed before signing, outside the write
transaction on the scheduler's path. The O(n) sweep of the whole log (chain, stored tree,
every head) is `bidhall audit check-chain` (trading/audit/sweep.py); heads and proofs
are trading/audit/heads.py.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.canonical import canonical_json
from crypto.merkle import GENESIS, leaf_of
from trading.audit.models import AuditEntry
from trading.audit.sweep import ChainCheck, Problems
from trading.audit.tree import (
    grow_tree_in,
    hashing,
    leaves_of,
)
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.db import advisory_lock_in
from trading.projects.models import Lot

if TYPE_CHECKING:
    pass

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


@dataclass(frozen=True)
class Entry:
    """One entry to append: who did what to which target, when, and why."""

    actor: Actor
    action: str
    target_type: str
    target_id: str | int
    at: datetime
    center_id: int | None = None
    detail: dict[str, Any] | None = None


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
    entry = Entry(actor, action, target_type, target_id, at, center_id, detail)
    return (await append_many(session, [entry]))[0]


async def append_many(session: AsyncSession, entries: Sequence[Entry]) -> list[AuditEntry]:
    """Append entries in order inside the caller's write transaction (`append_in`)."""
    if not entries:
        return []
    connection = await session.connection()
    return await connection.run_sync(append_in, entries)


def next_seq_in(connection: Connection) -> int:
    """The seq of the next entry appended in this write transaction, which from here holds the
    log's lock (PostgreSQL; SQLite's one writer holds it already) until it commits."""
    advisory_lock_in(connection, AUDIT_LOCK_KEY)
    last = connection.execute(_TAIL).first()
    return 1 if last is None else last.seq + 1


def append_in(connection: Connection, entries: Sequence[Entry]) -> list[AuditEntry]:
    """Append entries in order inside the write transaction of `connection`: the chain is
    linked in memory from the tail read under the log's lock, so a batch costs one tail read,
    one insert and one tree write, and is exactly the chain single appends would have made.
    Core statements built once: the ORM's unit of work costs more than the statements on this
    path (every submission appends here)."""
    if not entries:
        return []
    advisory_lock_in(connection, AUDIT_LOCK_KEY)
    last = connection.execute(_TAIL).first()
    first = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.entry_hash
    rows: list[dict[str, Any]] = []
    for seq, e in enumerate(entries, start=first):
        record = {
            "seq": seq,
            "at": e.at.isoformat(),
            "actor_id": e.actor.user_id,
            "actor": e.actor.name,
            "role": e.actor.role,
            "ip": e.actor.ip,
            "action": e.action,
            "target": {"type": e.target_type, "id": str(e.target_id)},
            "center_id": e.center_id,
            "detail": e.detail or {},
            "prev_hash": prev_hash,
        }
        body = canonical_json(record)
        prev_hash = hashlib.sha256(body).hexdigest()
        rows.append(
            {
                "seq": seq,
                "at": e.at,
                "actor_id": e.actor.user_id,
                "actor": e.actor.name,
                "role": e.actor.role,
                "ip": e.actor.ip,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": str(e.target_id),
                "center_id": e.center_id,
                "body": body.decode("utf-8"),
                "entry_hash": prev_hash,
            }
        )
    connection.execute(_INSERT_ENTRY, rows)
    grow_tree_in(connection, first - 1, [leaf_of(row["body"]) for row in rows])
    # Not attached to any session: what callers read of the entries (seq, body, hash, ...).
    return [AuditEntry(**row) for row in rows]


def chain_errors(entries: Sequence[AuditEntry]) -> list[str]:
    """Every break in the chain: an edited body, a removed or reordered entry. The whole
    log from seq 1 in memory; `bidhall audit check-chain` streams it (trading/audit/sweep)."""
    check = ChainCheck(Problems(keep=None))
    check.feed(entries)
    return check.problems.kept


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


# Table columns, not mapped attributes: nothing here may configure the mappers at import.
_ENTRIES = AuditEntry.__table__.c
# The log's tail and the insert of new entries, for append_in.
_TAIL = select(_ENTRIES.seq, _ENTRIES.entry_hash).order_by(_ENTRIES.seq.desc()).limit(1)
_INSERT_ENTRY = insert(AuditEntry.__table__)


# Seqs one page of the public listing examines at most: where opened lots' entries are sparse
# (a young log, a stretch of refusals), a page comes back short instead of scanning on.
PUBLIC_SCAN = 10_000


@dataclass(frozen=True)
class PublicPage:
    entries: list[AuditEntry]
    next_start: int | None  # where the listing goes on; None past the end of the log


async def public_entries(
    session: AsyncSession, start: int, limit: int, *, scan: int | None = None
) -> PublicPage:
    """Entries about lots already opened, from seq ``start``: their bids are public, so are
    these bodies. Keyset by seq over at most ``scan`` seqs: one range scan for the lots the
    window names, their states by primary key, then the bodies of the opened ones."""
    upto = start + (PUBLIC_SCAN if scan is None else scan)  # exclusive
    window = (AuditEntry.seq >= start, AuditEntry.seq < upto, AuditEntry.target_type == "lot")
    named = set(await session.scalars(select(AuditEntry.target_id).where(*window).distinct()))
    ids = {int(t) for t in named if t.isdigit()}
    opened = (
        [
            str(i)
            for i in await session.scalars(
                select(Lot.id).where(
                    Lot.id.in_(ids), Lot.state.in_([s.value for s in OPENED_STATES])
                )
            )
        ]
        if ids
        else []
    )
    rows: list[AuditEntry] = []
    if opened:
        rows = list(
            await session.scalars(
                select(AuditEntry)
                .where(*window, AuditEntry.target_id.in_(opened))
                .order_by(AuditEntry.seq)
                .limit(limit)
            )
        )
    if len(rows) == limit:
        return PublicPage(rows, rows[-1].seq + 1)
    return PublicPage(rows, upto if upto <= await log_size(session) else None)


async def is_public(session: AsyncSession, entry: AuditEntry) -> bool:
    """Whether anyone may read this entry: it is about a lot already opened."""
    if entry.target_type != "lot" or not entry.target_id.isdigit():
        return False
    state = await session.scalar(select(Lot.state).where(Lot.id == int(entry.target_id)))
    return state in OPENED_STATES
