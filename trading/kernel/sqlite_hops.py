"""One thread round trip per SQLite statement instead of four.

aiosqlite runs each sqlite3 call on its connection's own thread and hands the result back to
the event loop. SQLAlchemy's adapter (`sqlalchemy.dialects.sqlite.aiosqlite`) makes four such
calls per query — open a cursor, execute, fetch all rows, close — and three per write, each a
queue hand-off, a thread wake-up and a loop wake-up. On the deadline rush's path (a dozen
statements per bid) those hand-offs cost more than the statements. `install()` makes the
adapter's cursor run the same four sqlite3 calls as one function on that thread: the same
statements, results, row counts and errors, in one round trip.

It uses aiosqlite's `Connection._execute` (queue a function on the connection's thread) and
`_conn` (its sqlite3 connection), both present since aiosqlite 0.17; `install()` leaves the
adapter as it is when either is missing.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite import aiosqlite as adapter

_Cursor = adapter.AsyncAdapt_aiosqlite_cursor
_ORIGINAL = (_Cursor.execute, _Cursor.executemany)


def _run(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int | None, int, list[Any] | None]:
    """On the connection's thread: (description, lastrowid, rowcount, rows or None)."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            return cursor.description, -1, -1, cursor.fetchall()
        return None, cursor.lastrowid, cursor.rowcount, None
    finally:
        cursor.close()


def _one_hop(self: Any, operation: str, parameters: Any, many: bool) -> None:
    connection = self._connection
    try:
        description, lastrowid, rowcount, rows = self.await_(
            connection._execute(_run, connection._conn, operation, parameters, many)
        )
    except Exception as error:
        self._adapt_connection._handle_exception(error)
        return
    self.description = description
    if rows is not None:
        self.lastrowid = self.rowcount = -1
        self._rows = deque(rows)
    else:
        self.lastrowid, self.rowcount = lastrowid, rowcount


def _execute(self: Any, operation: str, parameters: Any = None) -> None:
    if self.server_side:  # a streaming cursor keeps its sqlite3 cursor open: as it was
        _ORIGINAL[0](self, operation, parameters)
    else:
        _one_hop(self, operation, parameters, False)


def _executemany(self: Any, operation: str, seq_of_parameters: Sequence[Any]) -> None:
    _one_hop(self, operation, seq_of_parameters, True)


def install() -> bool:
    """Patch the adapter's (buffered) cursor; idempotent. False when aiosqlite lacks the
    hooks this relies on (the adapter then keeps its own four round trips)."""
    if not (hasattr(aiosqlite.Connection, "_execute") and hasattr(aiosqlite.Connection, "_conn")):
        return False
    if getattr(_Cursor, "_bidhall_one_hop", False):
        return True
    _Cursor.execute = _execute  # type: ignore[method-assign]
    _Cursor.executemany = _executemany  # type: ignore[method-assign]
    _Cursor._bidhall_one_hop = True  # type: ignore[attr-defined]
    return True
