"""Database plumbing: declarative base, column types, engine/session factory, write transactions."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Integer, MetaData, Numeric, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLite allows one writer; one process serves it, so an in-process lock serialises
# write transactions and keeps the audit chain linear without SQLITE_BUSY retries.
# One lock per event loop: an asyncio.Lock belongs to the loop that first waits on it.
_SQLITE_WRITE_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _sqlite_write_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _SQLITE_WRITE_LOCKS.get(loop)
    if lock is None:
        lock = _SQLITE_WRITE_LOCKS[loop] = asyncio.Lock()
    return lock


def is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@asynccontextmanager
async def writing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One write transaction: committed on success, rolled back (nothing half-written) on error."""
    if session.in_transaction():
        # End any read snapshot first so the write sees the latest committed state.
        await session.commit()
    if is_sqlite(session):
        async with _sqlite_write_lock(), session.begin():
            yield session
    else:
        async with session.begin():
            yield session


async def advisory_lock(session: AsyncSession, key: int) -> None:
    """Serialise a critical section across processes on PostgreSQL (no-op on SQLite)."""
    if not is_sqlite(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
