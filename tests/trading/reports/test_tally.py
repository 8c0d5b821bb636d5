"""The statistics tallies stay equal to a recount of the lots, through every kind of move,
under concurrent moves into one bucket, and equal to what the migration's backfill makes."""

from __future__ import annotations

import asyncio
import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, text

from bidhall.demo import register
from tests.conftest import PG_URL, construction_plan
from tests.support.clients import bearer
from tests.trading.centers.conftest import actor
from tests.trading.reports.conftest import History, equal_to_recount, make_history
from trading.centers.models import Center
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.projects import lifecycle
from trading.projects.models import Lot
from trading.reports import tally
from trading.reports.models import LotTally, OutcomeDay, OutcomeMonth

MIGRATION = (
    Path(__file__).resolve().parents[3]
    / "bidhall/migrations/versions/0009_statistics_aggregates.py"
)


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0009", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_tallies_equal_a_recount_after_every_stage(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    stages: list[str] = []

    async def check(stage: str) -> None:
        await equal_to_recount(rt, stage)
        stages.append(stage)

    history = await make_history(rt, clock, publish_lot, bid, check)
    assert stages == ["published", "opened", "publicity", "awarded"]
    states = {name: lot.state for name, lot in history.lots.items()}
    assert states == {
        "A1": LotState.AWARDED, "A2": LotState.AWARDED, "A3": LotState.AWARDED,
        "A4": LotState.AWARDED, "S1": LotState.AWARDED, "F1": LotState.FAILED,
        "C1": LotState.CANCELLED, "D2": LotState.CANCELLED, "E1": LotState.PUBLICITY,
        "O1": LotState.ANNOUNCED, "D1": LotState.DRAFT,
    }  # fmt: skip
    async with rt.sessionmaker() as session:
        kept = await tally.stored(session)
        centers = {c.code: c.id for c in await session.scalars(select(Center))}
    # Not vacuous: the buckets hold what the history did, by hand.
    in_progress = {k: v for k, v in kept[LotTally].items() if k[3] not in tally.OUTCOMES}
    assert in_progress == {
        (centers["450100"], "procurement", False, "publicity"): (1, 0, 0),
        (centers["450102"], "construction", False, "announced"): (1, 0, 0),
    }
    a2 = history.lots["A2"]
    assert kept[OutcomeDay][
        (history.ended["A2"].date(), centers["450102"], "procurement", "open_tender", False,
         "awarded")
    ] == (1, 200_000_000, 180_000_037)  # fmt: skip
    assert a2.award_price is not None and a2.award_price * 100 == 180_000_037
    # The day keeps the procurement method (A3 was an invited tender); the month rolls it up.
    a3 = (history.ended["A3"].date(), centers["450200"], "construction", "invited_tender", False)
    assert kept[OutcomeDay][(*a3, "awarded")] == (1, 99_000_000, 89_100_000)
    months = {k[0] for k in kept[OutcomeMonth]}
    assert len(months) == 2  # A3 ended 40 days after the others
    # The failed and cancelled lots carry their reference amounts, not an award.
    failed = kept[LotTally][(centers["450200"], "procurement", False, "failed")]
    assert failed == (1, 300_000_000, 0)
    cancelled = sum(v[0] for k, v in kept[LotTally].items() if k[3] == "cancelled")
    assert cancelled == 2  # the announced lot and the draft


async def test_migration_backfill_equals_the_tallies_kept(history: History, rt: Runtime) -> None:
    statements = migration().backfill_sql(rt.engine.dialect.name)
    async with rt.sessionmaker() as session:
        kept = await tally.stored(session)
        async with writing(session):
            for table in (LotTally, OutcomeDay, OutcomeMonth):
                await session.execute(delete(table))
        assert all(not buckets for buckets in (await tally.stored(session)).values())
        async with writing(session):
            for statement in statements:
                await session.execute(text(statement))
        backfilled = await tally.stored(session)
    assert backfilled == kept
    assert sum(n for n, _, _ in kept[LotTally].values()) == len(history.lots) - 1  # D1: a draft


async def test_concurrent_cancels_into_one_bucket_all_count(
    rt: Runtime, clock: FixedClock, publish_lot: Any, live_server: str
) -> None:
    """Real concurrent requests move lots of one (center, category, method, day) bucket."""
    n = 6
    lots = [await publish_lot(center="450102", title=f"并发终止 {i}") for i in range(n)]
    async with rt.sessionmaker() as session:
        center = await session.scalar(select(Center.id).where(Center.code == "450102"))
    bucket = (center, "construction", False)
    async with rt.sessionmaker() as session:
        before = await tally.stored(session)
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        staff = await bearer(http, "staff-450102")
        responses = await asyncio.gather(
            *(
                http.post(f"/api/v1/lots/{lot.id}/cancel", json={"reason": "并发"}, headers=staff)
                for lot in lots
            )
        )
    assert [r.status_code for r in responses] == [200] * n, [r.text for r in responses]
    async with rt.sessionmaker() as session:
        after = await tally.stored(session)
    was = before[LotTally].get((*bucket, "announced"), (0, 0, 0))
    assert after[LotTally].get((*bucket, "announced"), (0, 0, 0))[0] == was[0] - n
    assert after[LotTally][(*bucket, "cancelled")][0] == n
    day = (clock.now().date(), center, "construction", "open_tender", False, "cancelled")
    assert after[OutcomeDay][day] == (
        n,
        n * 950_000_000,
        0,
    )
    await equal_to_recount(rt, "after the race")


async def test_concurrent_bumps_of_one_bucket_never_lose_a_count(rt: Runtime) -> None:
    """Overlapping transactions add to one bucket; on PostgreSQL they all start before any
    writes (a read-then-write counter would lose increments here)."""
    n = 8
    async with rt.sessionmaker() as session:
        center = await session.scalar(select(Center.id).where(Center.code == "450100"))
    key = (center, "construction", False, "announced")
    async with rt.sessionmaker() as session, writing(session):  # the bucket exists already
        await tally.bump(session, LotTally, [tally.Bump(key, 1, 1000, 0)])
    started = asyncio.Barrier(n)

    async def one(i: int) -> None:
        async with rt.sessionmaker() as session, writing(session):
            await session.scalar(select(func.count()).select_from(LotTally))
            if PG_URL:  # SQLite's one writer runs these one after another
                await started.wait()
            await tally.bump(session, LotTally, [tally.Bump(key, 1, 100 + i, i)])

    await asyncio.gather(*(one(i) for i in range(n)))
    async with rt.sessionmaker() as session:
        row = (await tally.stored(session))[LotTally][key]
    assert row == (1 + n, 1000 + sum(100 + i for i in range(n)), sum(range(n)))


async def test_registering_drafts_counts_nothing(rt: Runtime, clock: FixedClock) -> None:
    """Lots are created as drafts, and drafts are not counted: only moves change the tallies."""
    async with rt.sessionmaker() as session:
        before = await tally.stored(session)
    await register(
        rt,
        construction_plan(center="450200", title="草稿不计"),
        issued=clock.now(),
        deadline=clock.now() + timedelta(days=21),
    )
    async with rt.sessionmaker() as session:
        assert await tally.stored(session) == before
        assert await session.scalar(select(func.count(Lot.id))) >= 1
    await equal_to_recount(rt, "drafts")


async def test_a_move_rolled_back_leaves_the_tallies_as_they_were(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    """The tallies are written in the move's transaction: undone with it."""
    lot = await publish_lot(center="450200", title="回滚")
    staff = await actor(rt, "staff-450200")
    async with rt.sessionmaker() as session:
        before = await tally.stored(session)
        with pytest.raises(RuntimeError, match="after the move"):
            async with writing(session):
                fresh = await session.get(Lot, lot.id)
                assert fresh is not None
                moved = await lifecycle.move(
                    session, fresh, LotState.CANCELLED, staff, now=clock.now(), action="lot.cancel"
                )
                assert moved and (await tally.stored(session)) != before  # counted, in flight
                raise RuntimeError("something failed after the move")
    async with rt.sessionmaker() as session:
        assert await tally.stored(session) == before
        assert (await session.get(Lot, lot.id)).state == LotState.ANNOUNCED  # type: ignore[union-attr]
    await equal_to_recount(rt, "rolled back")
