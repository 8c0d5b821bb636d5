"""The report's world: the scoring world (five seated experts with registered keys), every
member declared (signed) and submitted, the deviation explained; `finalised` also has the chair
finalise."""

from __future__ import annotations

from typing import Any

import pytest

from evaluation.report import service as report
from evaluation.scoring import work
from tests.evaluation.scoring.conftest import World, build_world, declare, sheet_for
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime


async def score_all(rt: Runtime, world: World, clock: FixedClock) -> None:
    now = clock.now()
    ids = sorted(world.bids.values(), key=int)
    for n, seat in enumerate(world.seats):
        await declare(rt, world, n, now)
        q, s = sheet_for(world, n)
        async with rt.sessionmaker() as session:
            await work.save(session, seat, world.lot_id, q, s, now=now, submit=True)
    async with rt.sessionmaker() as session:
        await work.explain(
            session, world.seats[4], world.lot_id, {f"{ids[2]}/tech": "方案缺少关键工序"}, now=now
        )


@pytest.fixture
async def scored(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    world = await build_world(rt, clock, publish_lot, bid)
    await score_all(rt, world, clock)
    return world


@pytest.fixture
async def finalised(rt: Runtime, clock: FixedClock, scored: World) -> World:
    async with rt.sessionmaker() as session:
        await report.finalise(
            session, scored.seats[0], scored.lot_id, now=clock.now(), settings=rt.settings
        )
    return scored
