"""The full sweep of the audit log (`bidhall audit check-chain`): one pass, in constant memory.

Entries are read in pages (keyset by seq). Each page is checked for the hash chain (the last
seq and hash carry over to the next page), hashed into leaves and folded into a compact
range. Every subtree the page completes must equal the stored one (audit_node, so every
stored hash, not only the leaves), every signed head's root must equal the compact range's
root at that head's size, and at the end the stored tree's root must equal the entries'.

This is the O(n) check that publishing a head no longer does: heads and proofs come from the
stored tree in O(log n); this sweep is how the platform itself notices a body edited or
deleted behind the log's back (outside verifiers notice it too: they hash the bodies).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crypto import merkle
from crypto.errors import CryptoError
from crypto.keys import key_id
from crypto.merkle import GENESIS, CompactRange, Node, leaf_hash
from crypto.merkle_extend import extend_range
from trading.audit.models import AuditEntry, AuditNode, TreeHead

PAGE = 5000  # entries per query
HEAD_PAGE = 1000
KEEP = 20  # problems kept word for word; the rest are counted


class ChainRow(Protocol):
    """What the chain check reads of an entry: an AuditEntry or a row of its columns."""

    @property
    def seq(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def entry_hash(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def target_id(self) -> str: ...


@dataclass
class Problems:
    """The first ``keep`` problems word for word (all when ``keep`` is None), and a count."""

    keep: int | None = KEEP
    kept: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, problem: str) -> None:
        self.count += 1
        if self.keep is None or len(self.kept) < self.keep:
            self.kept.append(problem)


@dataclass
class ChainCheck:
    """The hash chain from the first entry on, fed a page at a time: an edited body, a
    removed or reordered entry, columns that differ from the hashed body."""

    problems: Problems = field(default_factory=Problems)
    position: int = 0
    prev: str = GENESIS

    def feed(self, entries: Iterable[ChainRow]) -> None:
        self.check([(e.seq, e.body, e.entry_hash, e.action, e.target_id) for e in entries])

    def check(self, rows: Iterable[Sequence[Any]]) -> list[bytes]:
        """Check the next (seq, body, entry_hash, action, target_id) rows; return each body's
        leaf hash, from the same encoding of it (the sweep folds them into the tree)."""
        note = self.problems.add
        sha256 = hashlib.sha256
        leaves: list[bytes] = []
        position, prev = self.position, self.prev
        for seq, body, entry_hash, action, target_id in rows:
            position += 1
            data = body.encode("utf-8")
            leaves.append(leaf_hash(data))
            try:
                record: Any = json.loads(body)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                note(f"entry {seq}: body is not a JSON object")
                prev = entry_hash
                continue
            if seq != position or record.get("seq") != position:
                note(f"entry {seq}: expected sequence number {position}")
            if sha256(data).hexdigest() != entry_hash:
                note(f"entry {seq}: body does not match its hash")
            if record.get("prev_hash") != prev:
                note(f"entry {seq}: not linked to the previous entry")
            target = record.get("target")
            if record.get("action") != action or (
                not isinstance(target, dict) or target.get("id") != target_id
            ):
                note(f"entry {seq}: columns differ from the hashed body")
            prev = entry_hash
        self.position, self.prev = position, prev
        return leaves


@dataclass
class Sweep:
    entries: int
    heads: int
    chain: Problems
    tree: Problems

    @property
    def problems(self) -> int:
        return self.chain.count + self.tree.count

    def first(self) -> str | None:
        kept = [*self.chain.kept, *self.tree.kept]
        return kept[0] if kept else None


_ENTRIES = AuditEntry.__table__.c
_PAGE = (
    select(_ENTRIES.seq, _ENTRIES.body, _ENTRIES.entry_hash, _ENTRIES.action, _ENTRIES.target_id)
    .where(_ENTRIES.seq > bindparam("after"))
    .order_by(_ENTRIES.seq)
    .limit(bindparam("page"))
)


async def _pages(conn: AsyncConnection) -> AsyncIterator[Sequence[Any]]:
    """Pages of entries (keyset by seq), read on the session's connection without the ORM:
    plain rows, no identity map, nothing kept between pages."""
    after = 0
    while True:
        rows = (await conn.execute(_PAGE, {"after": after, "page": PAGE})).all()
        if not rows:
            return
        yield rows
        after = rows[-1].seq


_HEADS = TreeHead.__table__.c
_HEAD_PAGE = (
    select(_HEADS.tree_size, _HEADS.root, _HEADS.key_id, _HEADS.sth)
    .where(_HEADS.tree_size > bindparam("after"))
    .order_by(_HEADS.tree_size)
    .limit(bindparam("page"))
)


async def _heads(conn: AsyncConnection) -> AsyncIterator[Any]:
    """Every signed head (size, root, key_id, sth), smallest first (keyset by size)."""
    after = -1
    while True:
        page = (await conn.execute(_HEAD_PAGE, {"after": after, "page": HEAD_PAGE})).all()
        for head in page:
            yield head
        if len(page) < HEAD_PAGE:
            return
        after = page[-1].tree_size


# One statement shape for every page (cached once, by SQLAlchemy and by the driver): a range
# of idx per level, for as many levels as a 64-bit idx can have; unused levels ask for none.
LEVELS = 64
_NODES = AuditNode.__table__.c  # table columns: building this configures no mapper
_STORED = select(_NODES.level, _NODES.idx, _NODES.hash).where(
    or_(
        *(
            and_(
                _NODES.level == level,
                _NODES.idx.between(bindparam(f"lo{level}"), bindparam(f"hi{level}")),
            )
            for level in range(LEVELS)
        )
    )
)


async def _stored(conn: AsyncConnection, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The stored subtrees spanning ``nodes``' idx range on each level: what a page of leaves
    completes (one contiguous range per level) or a tree's edge (one node per level)."""
    bounds: dict[str, int] = {}
    for level in range(LEVELS):
        bounds[f"lo{level}"], bounds[f"hi{level}"] = 1, 0  # BETWEEN 1 AND 0: none
    for level, idx in nodes:
        lo, hi = f"lo{level}", f"hi{level}"
        if bounds[lo] > bounds[hi]:
            bounds[lo] = bounds[hi] = idx
        else:
            bounds[lo], bounds[hi] = min(bounds[lo], idx), max(bounds[hi], idx)
    rows = (await conn.execute(_STORED, bounds)).all()
    return {(lv, ix): bytes(h) for lv, ix, h in rows}


async def sweep(session: AsyncSession, platform_pub: bytes | None = None) -> Sweep:
    """Check the whole log against its chain, its stored tree and its signed heads; constant
    memory whatever its length. Heads signed with ``platform_pub``'s key id are also checked
    for their signature (heads of an earlier key only for their root)."""
    chain = ChainCheck()
    tree = Problems()
    edge = CompactRange()
    our_key = key_id(platform_pub) if platform_pub else None
    conn = await session.connection()
    heads = _heads(conn)
    head = await anext(heads, None)
    checked = 0

    def check_head(head: Any) -> None:
        try:
            sth = json.loads(head.sth)
        except ValueError:
            sth = None
        root = edge.root().hex()
        # What is served and signed is the statement; its row's columns must say the same.
        if not isinstance(sth, dict) or (sth.get("tree_size"), sth.get("root")) != (
            head.tree_size,
            root,
        ):
            tree.add(
                f"signed tree head of size {head.tree_size}: the entries give another root"
                " (entries were edited, deleted or reordered)"
            )
        elif head.root != root:
            tree.add(f"signed tree head of size {head.tree_size}: its row differs from it")
        if our_key is not None and head.key_id == our_key:
            try:
                merkle.verify_tree_head(sth, platform_pub or b"")
            except CryptoError as exc:
                tree.add(f"signed tree head of size {head.tree_size}: {exc}")

    while head is not None and head.tree_size == 0:
        check_head(head)
        checked += 1
        head = await anext(heads, None)
    async for rows in _pages(conn):
        created: list[tuple[Node, bytes]] = []
        leaves = chain.check(rows)
        done = 0
        while done < len(leaves):  # the page's leaves, cut where a signed head ends
            upto = len(leaves)
            if head is not None:
                upto = min(upto, done + head.tree_size - edge.size)
            created.extend(extend_range(edge, leaves[done:upto]))
            done = upto
            while head is not None and head.tree_size == edge.size:
                check_head(head)
                checked += 1
                head = await anext(heads, None)
        stored = await _stored(conn, (node for node, _ in created))
        for node, h in created:
            have = stored.get(node)
            if have is None:
                tree.add(f"stored tree lacks subtree {node} (entries from {rows[0].seq})")
            elif have != h:
                tree.add(f"stored subtree {node} differs from the entries")
    while head is not None:
        tree.add(
            f"signed tree head of size {head.tree_size} covers more than the"
            f" {edge.size} entries the log has"
        )
        checked += 1
        head = await anext(heads, None)
    ends = merkle.root_nodes(edge.size)
    stored_edge = await _stored(conn, ends)
    if len(stored_edge) == len(ends) and merkle.fold([stored_edge[n] for n in ends]) != edge.root():
        tree.add("the stored tree's root differs from the entries'")
    return Sweep(edge.size, checked, chain.problems, tree)
