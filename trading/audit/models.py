"""The append-only audit log: one row per event, hash-linked, leaves of a Merkle tree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import Base, BigId, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)

    # Assigned as previous + 1 under a lock, so the sequence has no gaps.
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    center_id: Mapped[int | None] = mapped_column(BigId, index=True)
    # The canonical JSON of the entry (includes prev_hash): what is hashed and proven.
    body: Mapped[str] = mapped_column(Text)
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditNode(Base):
    """The log's Merkle tree, one complete subtree per row: (level, idx) is the hash of leaves
    [idx * 2**level, (idx + 1) * 2**level); level 0 holds the leaf hashes.

    Written by the append that completes the subtree, in that entry's transaction, so any
    root or proof is composed from O(log n) rows. Derived from the bodies, never the other
    way round: the bodies are what the signed heads commit to.
    """

    __tablename__ = "audit_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeHead(Base):
    """A signed tree head (STH): the platform's signed statement of the log's Merkle root."""

    __tablename__ = "tree_head"

    # One head per size: publishing is idempotent while the log does not grow.
    tree_size: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))
    # The whole signed object as canonical JSON: served byte for byte, verified offline.
    sth: Mapped[str] = mapped_column(Text)
