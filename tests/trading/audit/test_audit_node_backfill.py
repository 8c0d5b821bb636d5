"""Migration 0006 backfills the stored Merkle tree from the bodies already in the log."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from sqlalchemy import Connection, delete, inspect, select
from sqlalchemy.engine import make_url

from bidhall.migrate import alembic_config, upgrade
from crypto import merkle
from crypto.merkle import Node, leaf_of
from trading.audit.models import AuditEntry, AuditNode
from trading.kernel.db import make_engine

PG_URL = os.environ.get("BIDHALL_TEST_DATABASE_URL", "")
ENTRIES = 5_300  # more than one backfill batch (5000)
T = TypeVar("T")


async def _pg(statement: str) -> None:
    import asyncpg

    dsn = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'backfill.db'}"
        return
    name = f"{make_url(PG_URL).database}_backfill_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def body(seq: int) -> str:
    return f'{{"action":"开标.{seq}","seq":{seq},"detail":{{"n":{seq * 7}}}}}'


async def insert_entries(url: str) -> None:
    engine = make_engine(url)
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    rows = [
        {
            "seq": seq,
            "at": at,
            "actor": "system",
            "role": "system",
            "ip": "",
            "action": "test",
            "target_type": "test",
            "target_id": str(seq),
            "body": body(seq),
            "entry_hash": "0" * 64,
        }
        for seq in range(1, ENTRIES + 1)
    ]
    async with engine.begin() as conn:
        await conn.execute(AuditEntry.__table__.insert(), rows)
    await engine.dispose()


async def run_async(url: str, fn: Callable[[Connection], T]) -> T:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def run(url: str, fn: Callable[[Connection], T]) -> T:
    return asyncio.run(run_async(url, fn))


def read_tree(conn: Connection) -> dict[Node, bytes]:
    rows = conn.execute(select(AuditNode.level, AuditNode.idx, AuditNode.hash))
    return {(lv, ix): bytes(h) for lv, ix, h in rows}


def expected(leaves: dict[int, bytes], size: int) -> dict[Node, bytes]:
    """Every complete subtree all of whose leaves exist, hashed from scratch."""
    out: dict[Node, bytes] = {}
    for level in range(size.bit_length()):
        for i in range(size >> level):
            span = range(i << level, (i + 1) << level)
            if all(j in leaves for j in span):
                out[(level, i)] = merkle.root([leaves[j] for j in span])
    return out


def test_backfill_stores_every_subtree_of_the_existing_log(url: str) -> None:
    upgrade(url, "0005")
    asyncio.run(insert_entries(url))
    upgrade(url, "0006")
    leaves = {seq - 1: leaf_of(body(seq)) for seq in range(1, ENTRIES + 1)}
    tree = run(url, read_tree)
    assert tree == expected(leaves, ENTRIES)
    # What append() would have stored, entry by entry, is exactly that.
    edge = merkle.CompactRange()
    grown: dict[Node, bytes] = {}
    for i in range(ENTRIES):
        grown.update(edge.append(leaves[i]))
    assert tree == grown

    # Down and up again; a row deleted behind the log's back leaves its subtrees absent.
    command.downgrade(alembic_config(url), "0005")
    assert "audit_node" not in run(url, lambda c: inspect(c).get_table_names())
    run(url, lambda c: c.execute(delete(AuditEntry.__table__).where(AuditEntry.seq == 4100)))
    upgrade(url, "0006")
    del leaves[4099]
    tree = run(url, read_tree)
    assert tree == expected(leaves, ENTRIES)
    assert (0, 4099) not in tree and (2, 1024) not in tree  # the subtrees over the gap
    assert (12, 0) in tree and (2, 1025) in tree  # and their neighbours
