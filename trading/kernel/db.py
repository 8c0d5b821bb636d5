"""Database plumbing: declarative base, column types, engine/session factory, write transactions."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Integer, MetaData, Numeric, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trading.kernel import sqlite_hops

# Named constraints so Alembic batch mode on SQLite can alter them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 2, asdecimal=True)
UTCDateTime = DateTimeUTC(timezone=True)
JSON = JsonB
# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {Decimal: Money}  # noqa: RUF012


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


def make_engine(url: str) -> AsyncEngine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        sqlite_hops.install()
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", lambda conn, _record: sqlite_pragmas(conn))
    return engine


def sqlite_pragmas(dbapi_conn: Any) -> None:
    """Every SQLite connection of the process: WAL, foreign keys, a busy timeout."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLite allows one writer; one process serves it, so this process serialises its write
# transactions itself and keeps the audit chain linear without SQLITE_BUSY retries. Writers of one
# event loop queue on that loop's asyncio.Lock; the process lock orders the loops (a test client
# may serve the app on a second loop beside the test's own).
_SQLITE_LOOP_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)
_SQLITE_PROCESS_LOCK = threading.Lock()
SQLITE_WRITER_WAIT = 30.0  # seconds, like busy_timeout


@asynccontextmanager
async def sqlite_writer() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    loop_lock = _SQLITE_LOOP_LOCKS.get(loop)
    if loop_lock is None:
        loop_lock = _SQLITE_LOOP_LOCKS[loop] = asyncio.Lock()
    async with loop_lock:
        if not _SQLITE_PROCESS_LOCK.acquire(blocking=False):
            # Another loop writes: wait in a thread (one per loop, as this loop's lock is held).
            waiting = asyncio.ensure_future(
                asyncio.to_thread(_SQLITE_PROCESS_LOCK.acquire, timeout=SQLITE_WRITER_WAIT)
            )
            try:
                acquired = await asyncio.shield(waiting)
            except asyncio.CancelledError:
                waiting.add_done_callback(
                    lambda f: _SQLITE_PROCESS_LOCK.release() if f.result() else None
                )
                raise
            if not acquired:  # as SQLite's own busy timeout would: fail, never hang
                raise TimeoutError("SQLite writer busy: no write lock within 30 s")
        try:
            yield
        finally:
            _SQLITE_PROCESS_LOCK.release()


def is_sqlite(bind: AsyncSession | Connection) -> bool:
    """Whether a session, or a write transaction's (sync) connection, is on SQLite."""
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    return dialect.name == "sqlite"


@asynccontextmanager
async def writing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One write transaction: committed on success, rolled back (nothing half-written) on error."""
    if session.in_transaction():
        # End any read snapshot first so the write sees the latest committed state.
        await session.commit()
    if is_sqlite(session):
        async with sqlite_writer(), session.begin():
            yield session
    else:
        async with session.begin():
            yield session


async def advisory_lock(session: AsyncSession, key: int) -> None:
    """Serialise a critical section across processes on PostgreSQL (no-op on SQLite)."""
    if not is_sqlite(session):
        connection = await session.connection()
        await connection.run_sync(advisory_lock_in, key)


def advisory_lock_in(connection: Connection, key: int) -> None:
    """`advisory_lock` inside a write transaction given as a (sync) connection."""
    if not is_sqlite(connection):
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
