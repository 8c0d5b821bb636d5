"""The audit log's stored Merkle tree (audit_node): leaf and complete-subtree hashes written with
each entry, read back O(log n) at a time, and the re-hash of a run of bodies against them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, Row, TextClause, and_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from crypto.merkle import CompactRange, Node, leaf_of
from trading.audit.models import AuditEntry, AuditNode
from trading.kernel.db import is_sqlite

log = logging.getLogger("bidhall.audit")
T = TypeVar("T")

BATCH = 5000  # entries per query when a run of bodies is hashed again
THREAD_AT = 256  # this many bodies or more are hashed in a worker thread, off the event loop


def leaves_of(bodies: Sequence[str]) -> list[bytes]:
    return [leaf_of(body) for body in bodies]


async def hashing(items: int, fn: Callable[..., T], *args: Any) -> T:
    """Hashing ``items`` bodies: in a worker thread once that is worth the hop."""
    if items >= THREAD_AT:
        return await asyncio.to_thread(fn, *args)
    return fn(*args)


async def read_nodes(session: AsyncSession, nodes: Collection[Node]) -> dict[Node, bytes]:
    connection = await session.connection()
    return await connection.run_sync(read_nodes_in, nodes)


def read_nodes_in(connection: Connection, nodes: Collection[Node]) -> dict[Node, bytes]:
    """The stored subtrees among ``nodes`` (O(log n) of them for a root, proof or append), in
    one statement whose every pair is a primary-key lookup on both engines. Written as SQL
    text: building the same OR of pairs as expression objects costs milliseconds per call,
    more than the query; the text is one cached statement per count of pairs."""
    wanted = sorted(set(nodes))
    if not wanted:
        return {}
    params: dict[str, int] = {}
    for i, (level, idx) in enumerate(wanted):
        params[f"l{i}"], params[f"i{i}"] = level, idx
    rows = connection.execute(_nodes_query(len(wanted)), params)
    return {(level, idx): bytes(h) for level, idx, h in rows}


@cache
def _nodes_query(pairs: int) -> TextClause:
    where = " OR ".join(f"(level = :l{i} AND idx = :i{i})" for i in range(pairs))
    return text(f"SELECT level, idx, hash FROM audit_node WHERE {where}")


@cache
def _upsert(sqlite: bool) -> Insert:
    # An upsert: a row can pre-exist only if entries were deleted behind the log's back. The
    # new entry's subtree then replaces it (appending never stops) and the stored tree no
    # longer yields the signed heads' roots, which publishing reports.
    stmt = (sqlite_insert if sqlite else pg_insert)(AuditNode.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["level", "idx"], set_={"hash": stmt.excluded.hash}
    )


async def write_nodes(session: AsyncSession, nodes: Sequence[tuple[Node, bytes]]) -> None:
    connection = await session.connection()
    await connection.run_sync(write_nodes_in, nodes)


def write_nodes_in(connection: Connection, nodes: Sequence[tuple[Node, bytes]]) -> None:
    connection.execute(
        _upsert(is_sqlite(connection)),
        [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in nodes],
    )


def grow_tree_in(connection: Connection, first: int, leaves: Sequence[bytes]) -> None:
    """Store leaves ``first``.. and the subtrees they complete (amortised O(1) rows each), under
    the log's lock and in the entries' transaction: the tree never disagrees with the entries.
    One read of the edge of the tree before them (O(log n) rows), one write for the batch."""
    edge = merkle.root_nodes(first)
    stored = read_nodes_in(connection, edge)
    if len(stored) < len(edge):
        # Only a damaged index lacks an edge subtree. The entries still go in; publishing
        # rebuilds the unsigned tail from the bodies or refuses to sign a damaged prefix.
        log.error("audit tree: subtrees %s missing before entry %d", edge, first + 1)
        write_nodes_in(connection, [((0, first + i), leaf) for i, leaf in enumerate(leaves)])
        return
    grown = CompactRange(first, [stored[node] for node in edge])
    created: list[tuple[Node, bytes]] = []
    for leaf in leaves:
        created.extend(grown.append(leaf))
    write_nodes_in(connection, created)


async def entries_with_leaves(
    session: AsyncSession, after: int, upto: int
) -> AsyncIterator[Sequence[Row[tuple[int, str, bytes | None]]]]:
    """(seq, body, stored leaf hash) for seq in (after, upto], in batches (keyset paging)."""
    while after < upto:
        rows = (
            await session.execute(
                select(AuditEntry.seq, AuditEntry.body, AuditNode.hash)
                .outerjoin(
                    AuditNode, and_(AuditNode.level == 0, AuditNode.idx == AuditEntry.seq - 1)
                )
                .where(AuditEntry.seq > after, AuditEntry.seq <= upto)
                .order_by(AuditEntry.seq)
                .limit(BATCH)
            )
        ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].seq


@dataclass
class Rehash:
    """One pass over a run of bodies: extends ``edge`` with their leaves, noting the first
    entry missing (a gap in seq) and the first whose stored leaf hash differs."""

    edge: CompactRange
    created: list[tuple[Node, bytes]] | None = None  # collect completed subtrees to store
    gap: int | None = None
    differs: int | None = None

    def absorb(self, rows: Sequence[Row[tuple[int, str, bytes | None]]]) -> None:
        for seq, body, stored in rows:
            if seq != self.edge.size + 1:
                self.gap = self.edge.size + 1
                return
            leaf = leaf_of(body)
            if stored is None or bytes(stored) != leaf:
                self.differs = self.differs or seq
            made = self.edge.append(leaf)
            if self.created is not None:
                self.created.extend(made)

    async def run(self, session: AsyncSession, upto: int) -> Rehash:
        async for rows in entries_with_leaves(session, self.edge.size, upto):
            await hashing(len(rows), self.absorb, rows)
            if self.gap is not None:
                return self
            if self.created:
                await write_nodes(session, self.created)
                self.created.clear()
        if self.edge.size < upto:
            self.gap = self.edge.size + 1
        return self
