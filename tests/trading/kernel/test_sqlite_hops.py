"""SQLite statements in one thread round trip: same rows, counts and errors as the adapter's own
four, and a streaming query still streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from trading.kernel import sqlite_hops
from trading.kernel.db import make_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hops.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every function queued on an aiosqlite connection's thread."""
    queued: list[Any] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return queued


async def test_a_statement_is_one_round_trip_with_the_same_results(
    engine: AsyncEngine, hops: list[Any]
) -> None:
    assert sqlite_hops.install()
    async with engine.begin() as conn:
        hops.clear()
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert len(hops) == 1 and inserted.rowcount == 1 and inserted.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        assert len(hops) == 2 and many.rowcount == 2
        rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert len(hops) == 3 and [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]
        changed = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert len(hops) == 4 and changed.rowcount == 2
        nothing = await conn.execute(text("SELECT id FROM t WHERE id > 99"))
        assert nothing.all() == []


async def test_errors_are_the_drivers_and_leave_the_transaction_usable_to_roll_back(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM missing"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_streaming_query_keeps_its_cursor(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": f"n{i}"} for i in range(50)]
        )
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        names = [row.name async for row in result]
    assert names == [f"n{i}" for i in range(50)]
