"""audit log at scale

The audit log's Merkle tree, stored: one row per complete subtree (level 0: the leaf
hashes), backfilled here from the bodies of the entries already in the log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
log = logging.getLogger("alembic.runtime.migration")

# The RFC 6962 hashes, spelt out so this migration keeps doing what it did whatever the
# application code becomes: leaf = SHA-256(0x00 || body), node = SHA-256(0x01 || l || r).
ENTRY = sa.table("audit_entry", sa.column("seq", sa.BigInteger), sa.column("body", sa.Text))
NODE = sa.table(
    "audit_node",
    sa.column("level", sa.SmallInteger),
    sa.column("idx", sa.BigInteger),
    sa.column("hash", sa.LargeBinary),
)


def upgrade() -> None:
    op.create_table(
        "audit_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_node")),
    )
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> None:
    """Every complete subtree of the existing log, in one pass over the bodies in batches.

    Leaf i is the entry with seq i + 1, as append() will store it. A gap in seq (a row
    deleted behind the log's back) is not filled in: subtrees over it stay absent, and
    publishing the next head reports it.
    """
    edge: list[tuple[int, int, bytes]] = []  # (level, idx, hash): subtrees not yet merged
    after, expected = 0, 1
    while True:
        rows = conn.execute(
            sa.select(ENTRY.c.seq, ENTRY.c.body)
            .where(ENTRY.c.seq > after)
            .order_by(ENTRY.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        out: list[dict[str, object]] = []
        for seq, body in rows:
            if seq != expected:
                log.warning(
                    "audit_entry has no seq %d..%d: its subtrees stay absent", expected, seq - 1
                )
            expected = seq + 1
            leaf = hashlib.sha256(b"\x00" + body.encode("utf-8")).digest()
            edge.append((0, seq - 1, leaf))
            out.append({"level": 0, "idx": seq - 1, "hash": leaf})
            while len(edge) > 1:
                (lv, li, lh), (rv, ri, rh) = edge[-2], edge[-1]
                if lv != rv or li % 2 or ri != li + 1:
                    break  # not two siblings (only after a gap): nothing completes here
                merged = (lv + 1, li // 2, hashlib.sha256(b"\x01" + lh + rh).digest())
                edge[-2:] = [merged]
                out.append({"level": merged[0], "idx": merged[1], "hash": merged[2]})
        conn.execute(NODE.insert(), out)
        after = rows[-1].seq


def downgrade() -> None:
    op.drop_table("audit_node")
