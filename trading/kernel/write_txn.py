"""A write transaction written as one plain function of a connection, run where it waits least.

On SQLite this process's writes queue for one lock (trading.kernel.db.writing). A transaction
run on the event loop makes one hand-off to the driver's thread per statement and waits for a
turn of the loop after each: under a deadline rush, with hundreds of uploads keeping the loop
busy, a bid's ten statements held the lock ~12 ms, of which the database used about one.
`write_in` runs the whole function on one writer thread instead (its own sqlite3 connection,
``BEGIN IMMEDIATE`` … ``COMMIT``), while the caller holds the same lock as every other writer:
the lock is held for the statements and two wake-ups, not for ten turns of a busy loop.

On PostgreSQL, which has no such lock, the same function runs on the session's own connection
(``AsyncConnection.run_sync``) inside `writing`: one body for both engines.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import StaticPool

from trading.kernel.db import is_sqlite, sqlite_pragmas, sqlite_writer, writing

P = ParamSpec("P")
T = TypeVar("T")

# SQLite writes of the whole process are serial (one lock), so one thread serves them all.
_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
KEPT = 4  # databases with a connection kept open on the writer thread (tests open many)
_engines: OrderedDict[tuple[str, int, int], Engine] = OrderedDict()  # writer thread only


async def write_in(
    session: AsyncSession,
    fn: Callable[Concatenate[Connection, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``fn(connection, *args, **kwargs)`` as one write transaction: committed when it returns,
    rolled back (nothing half-written) when it raises, its exception re-raised here."""
    if not is_sqlite(session):
        async with writing(session):
            connection = await session.connection()
            return await connection.run_sync(fn, *args, **kwargs)
    if session.in_transaction():
        await session.commit()  # as `writing`: end a read snapshot before the write
    url = session.get_bind().engine.url
    loop = asyncio.get_running_loop()
    async with sqlite_writer():
        done = loop.run_in_executor(_THREAD, _transaction, url, fn, args, kwargs)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            # The caller went away; the transaction runs to its end before the lock is let go.
            await asyncio.wait([done])
            raise


def _transaction(
    url: URL, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> T:
    with _engine(url).begin() as connection:
        return fn(connection, *args, **kwargs)


def _engine(url: URL) -> Engine:
    """A kept connection to the database at `url`: per file, so a file removed and made again
    at the same path (a test, a reset demo) is never written through a stale handle."""
    path = url.database or ""
    try:
        st = os.stat(path)
        key = (path, st.st_dev, st.st_ino)
    except OSError:
        key = (path, 0, 0)  # not there yet: SQLite makes it on connect
    engine = _engines.get(key)
    if engine is not None:
        _engines.move_to_end(key)
        return engine
    engine = create_engine(
        url.set(drivername="sqlite"),
        poolclass=StaticPool,  # one connection, used on this thread only
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    event.listen(engine, "connect", _connect)
    event.listen(engine, "begin", _begin)
    _engines[key] = engine
    while len(_engines) > KEPT:
        _engines.popitem(last=False)[1].dispose()
    return engine


def _connect(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own BEGIN is deferred, so a transaction's reads would run before the
    # write lock is taken; SQLAlchemy's recipe: drive transactions ourselves.
    dbapi_conn.isolation_level = None
    sqlite_pragmas(dbapi_conn)


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
