"""Scheduling: stable job ids, start-up reconciliation, exactly-once opening across restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.opening.models import Opening
from bidhall.scheduler import OpeningScheduler, opening_job_id
from tests.support.clients import app_client
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot


async def test_job_ids_are_stable_and_replaced(rt: Runtime, clock: FixedClock) -> None:
    async def opener(_lot_id: int) -> None: ...

    async def due() -> list[tuple[int, datetime]]:
        return []

    scheduler = OpeningScheduler(opener, due, clock)
    scheduler.start()
    try:
        first = clock.now() + timedelta(days=3)
        scheduler.schedule_opening(7, first)
        scheduler.schedule_opening(7, first + timedelta(days=2))  # an amendment moved it
        jobs = {j.id: j for j in scheduler.aps.get_jobs()}
        assert (
            sorted(jobs) == sorted([opening_job_id(7), "reconcile"]) == ["lot:7:open", "reconcile"]
        )
        assert jobs["lot:7:open"].next_run_time == first + timedelta(days=2)
        assert jobs["lot:7:open"].misfire_grace_time is None
    finally:
        scheduler.shutdown()


async def test_overdue_job_fires_without_waiting(clock: FixedClock) -> None:
    fired = asyncio.Event()
    seen: list[int] = []

    async def opener(lot_id: int) -> None:
        seen.append(lot_id)
        fired.set()

    async def due() -> list[tuple[int, datetime]]:
        return []

    scheduler = OpeningScheduler(opener, due, clock)
    scheduler.start()
    try:
        # A run date already past (the server was down at the deadline) runs at once.
        scheduler.schedule_opening(42, datetime.now(UTC) - timedelta(minutes=5))
        await asyncio.wait_for(fired.wait(), timeout=30)
    finally:
        scheduler.shutdown()
    assert seen == [42]


async def run_app_once(rt: Runtime) -> None:
    """Start the app with its scheduler (lifespan runs reconciliation), then stop it."""
    async with app_client(rt, run_scheduler=True) as client:
        assert (await client.get("/healthz")).status_code == 200


async def openings(rt: Runtime, lot_id: int) -> tuple[str, int, int]:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        rows = await session.scalar(select(func.count(Opening.lot_id)))
        starts = await session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action == "opening.start")
        )
    assert lot is not None
    return lot.state, rows or 0, starts or 0


async def test_down_at_deadline_opens_exactly_once_after_restarts(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    await run_app_once(rt)  # before the deadline: nothing opens
    assert await openings(rt, lot.id) == ("announced", 0, 0)
    clock.set(lot.bid_deadline + timedelta(hours=2))  # the server was down over the deadline
    await run_app_once(rt)
    assert await openings(rt, lot.id) == ("opening", 1, 1)
    await run_app_once(rt)  # a further restart changes nothing
    assert await openings(rt, lot.id) == ("opening", 1, 1)
