"""APScheduler fires openings; the services decide. One process leads (Leadership) and runs it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from trading.kernel.clock import Clock

log = logging.getLogger("bidhall.scheduler")
RECONCILE_EVERY = timedelta(minutes=1)

Opener = Callable[[int], Awaitable[None]]
DueLots = Callable[[], Awaitable[list[tuple[int, datetime]]]]


def opening_job_id(lot_id: int) -> str:
    return f"lot:{lot_id}:open"


def window_job_id(lot_id: int) -> str:
    return f"lot:{lot_id}:window"


class OpeningScheduler:
    def __init__(
        self, opener: Opener, due_lots: DueLots, clock: Clock, due_windows: DueLots | None = None
    ) -> None:
        self._opener = opener
        self._due_lots = due_lots
        # Openings in progress and the end of their bidders' decryption window: the opener,
        # run again then, decides what is still sealed (the opening always ends).
        self._due_windows = due_windows
        self._clock = clock
        self.aps = AsyncIOScheduler(timezone=UTC)

    def start(self, reconcile_every: timedelta | None = RECONCILE_EVERY) -> None:
        self.aps.start()
        if reconcile_every is not None:
            # Safety net: picks up lots published by another process or a missed trigger.
            self.every(self.reconcile, "reconcile", reconcile_every)

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)

    def every(self, job: Callable[[], Awaitable[object]], job_id: str, interval: timedelta) -> None:
        """A periodic housekeeping job (e.g. signing a tree head), one instance at a time."""
        self.aps.add_job(
            job,
            trigger=IntervalTrigger(seconds=interval.total_seconds()),
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    def schedule_opening(self, lot_id: int, at: datetime) -> None:
        # Stable id + replace_existing: rescheduling (an amendment moving the deadline) is safe;
        # misfire_grace_time=None: a late start still runs the opening.
        self.aps.add_job(
            self._run,
            trigger=DateTrigger(run_date=at),
            args=[lot_id],
            id=opening_job_id(lot_id),
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def schedule_window(self, lot_id: int, at: datetime) -> None:
        # The same opener, run again at the window's end: it is idempotent and resumable.
        self.aps.add_job(
            self._opener_only,
            trigger=DateTrigger(run_date=at),
            args=[lot_id],
            id=window_job_id(lot_id),
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _opener_only(self, lot_id: int) -> None:
        try:
            await self._opener(lot_id)
        except Exception:
            log.exception("closing the window of lot %s failed; reconciliation retries", lot_id)

    async def _run(self, lot_id: int) -> None:
        await self._opener_only(lot_id)
        # An opening that just started has a window now: end it on time.
        await self.schedule_windows()

    async def schedule_windows(self) -> int:
        """Schedule the end of every running decryption window; returns how many."""
        if self._due_windows is None:
            return 0
        now = self._clock.now()
        count = 0
        try:
            for lot_id, ends in await self._due_windows():
                if ends > now:  # an ended one is run by reconciliation (its lot is overdue)
                    self.schedule_window(lot_id, ends)
                    count += 1
        except Exception:
            log.exception("listing decryption windows failed; the next reconciliation retries")
        return count

    async def reconcile(self) -> int:
        """Run every overdue opening now (an opening in progress resumes, and ends once its
        decryption window has) and schedule the rest; returns how many ran."""
        ran = 0
        now = self._clock.now()
        for lot_id, deadline in await self._due_lots():
            if deadline <= now:
                await self._opener_only(lot_id)
                ran += 1
            else:
                self.schedule_opening(lot_id, deadline)
        await self.schedule_windows()
        return ran


# pg_advisory lock key of the scheduler leader ("bidhall/scheduler" folded into 63 bits).
LEADER_LOCK_KEY = 0x6269_6468_616C_6C53


class Leadership:
    """One scheduler across worker processes: on PostgreSQL the process holding a session
    advisory lock leads, and keeps it as long as its connection lives (a dead leader's lock goes
    with its connection, so another worker takes over at its next try). SQLite is served by one
    process, which always leads."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self.leads = engine.dialect.name == "sqlite"

    async def try_lead(self) -> bool:
        if self.leads:
            return True
        if self._conn is None:
            self._conn = await self._engine.connect()
        got = await self._conn.scalar(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}
        )
        await self._conn.commit()  # the lock is the session's, not the transaction's
        self.leads = bool(got)
        return self.leads

    async def resign(self) -> None:
        if self._conn is not None:
            if self.leads:
                # The pool would keep the session (and its lock) alive: give it back first.
                await self._conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY}
                )
                await self._conn.commit()
            await self._conn.close()
            self._conn = None
        self.leads = self._engine.dialect.name == "sqlite"
