"""A write transaction given as a plain function (trading.kernel.write_txn): all or nothing,
in line with every other writer of the database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from tests.conftest import T0
from trading.audit import heads
from trading.audit import service as audit
from trading.audit.models import AuditEntry, AuditNode
from trading.kernel.actor import Actor
from trading.kernel.db import make_engine, writing
from trading.kernel.runtime import Runtime
from trading.kernel.write_txn import write_in

WHO = Actor(user_id=None, name="system")


def _entry(n: int) -> audit.Entry:
    return audit.Entry(WHO, "test.write", "test", n, T0)


def _append(connection: Connection, n: int) -> int:
    (entry,) = audit.append_in(connection, [_entry(n)])
    return entry.seq


def _append_then_fail(connection: Connection, n: int) -> int:
    _append(connection, n)
    raise LookupError("refused after writing")


async def _counts(rt: Runtime) -> tuple[int, int]:
    async with rt.sessionmaker() as session:
        entries = await session.scalar(select(func.count()).select_from(AuditEntry))
        nodes = await session.scalar(select(func.count()).select_from(AuditNode))
    return int(entries or 0), int(nodes or 0)


async def _chain_errors(rt: Runtime) -> list[str]:
    async with rt.sessionmaker() as session:
        return audit.chain_errors(await audit.load_all(session))


async def test_what_the_function_wrote_is_committed_and_its_value_returned(rt: Runtime) -> None:
    before, _ = await _counts(rt)
    async with rt.sessionmaker() as session:
        seq = await write_in(session, _append, 1)
    assert seq == before + 1
    async with rt.sessionmaker() as session:
        stored = await session.scalar(select(AuditEntry).where(AuditEntry.seq == seq))
    assert stored is not None and stored.action == "test.write"
    assert await _chain_errors(rt) == []


async def test_a_function_that_raises_leaves_nothing_written(rt: Runtime) -> None:
    before = await _counts(rt)
    async with rt.sessionmaker() as session:
        with pytest.raises(LookupError, match="refused after writing"):
            await write_in(session, _append_then_fail, 1)
        # The session is usable after the failure: the next write goes in.
        seq = await write_in(session, _append, 2)
    assert seq == before[0] + 1
    entries, _ = await _counts(rt)
    assert entries == before[0] + 1
    assert await _chain_errors(rt) == []


async def test_racing_writers_of_both_kinds_keep_the_audit_chain_exact(rt: Runtime) -> None:
    """Functions on the writer thread and transactions on the event loop race for the log's
    tail: every entry gets its own seq, the chain links them all, and the stored tree agrees."""
    before, _ = await _counts(rt)

    async def by_function(n: int) -> int:
        async with rt.sessionmaker() as session:
            return await write_in(session, _append, n)

    async def on_the_loop(n: int) -> int:
        async with rt.sessionmaker() as session, writing(session):
            return (await audit.append(session, WHO, "test.loop", "test", n, at=T0)).seq

    seqs = await asyncio.gather(
        *(by_function(n) if n % 2 else on_the_loop(n) for n in range(40)),
        *(_failing(rt, n) for n in range(5)),
    )
    taken = sorted(s for s in seqs if s is not None)
    assert taken == list(range(before + 1, before + 41))
    assert await _chain_errors(rt) == []
    async with rt.sessionmaker() as session:
        leaves = await audit.leaf_hashes(session)
        root = merkle.root(leaves)  # from the bodies as they stand
        for seq in taken:  # each proof is composed from the stored tree
            proof = await heads.inclusion(session, seq, len(leaves))
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            merkle.verify_inclusion(leaves[seq - 1], seq - 1, len(leaves), path, root)


async def _failing(rt: Runtime, n: int) -> None:
    async with rt.sessionmaker() as session:
        with pytest.raises(LookupError):
            await write_in(session, _append_then_fail, n)


async def test_a_caller_cancelled_mid_write_leaves_all_or_nothing(rt: Runtime) -> None:
    before, _ = await _counts(rt)

    async def write() -> int:
        async with rt.sessionmaker() as session:
            return await write_in(session, _append, 1)

    task = asyncio.create_task(write())
    await asyncio.sleep(0)  # the write has started
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with rt.sessionmaker() as session:
        seq = await write_in(session, _append, 2)  # the next writer is not locked out
    entries, _ = await _counts(rt)
    assert seq == entries and entries in (before + 1, before + 2)
    assert await _chain_errors(rt) == []


def _insert_name(connection: Connection, name: str) -> int:
    connection.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": name})
    return int(connection.scalar(text("SELECT count(*) FROM t")) or 0)


async def test_an_sqlite_file_made_again_at_the_same_path_is_the_one_written(
    tmp_path: Path,
) -> None:
    """The writer thread keeps a connection per database: a file removed and created again
    (a reset demo, a test) must not be written through the old file's handle."""
    path = tmp_path / "again.db"
    for round_ in range(2):
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
        async with engine.connect() as conn:
            session = AsyncSession(bind=conn)
            assert await write_in(session, _insert_name, f"round {round_}") == 1
            await session.close()
        async with engine.connect() as conn:
            names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
        assert names == [f"round {round_}"]
        await engine.dispose()
        _remove(tmp_path, "again.db*")


def _remove(folder: Path, pattern: str) -> None:
    for found in folder.glob(pattern):
        found.unlink()
