"""A history of lots for the statistics tallies: every kind of move, in several centers,
categories and methods, ending on different days and months and around midnights.

  lot  center  category      method          how it ends                    when (UTC)
  A1   450100  construction  open_tender     awarded                        publicity end + 1 s
  A2   450102  procurement   open_tender     awarded                        next day 23:30
  A4   450000  procurement   open_tender     awarded                        the day after, 16:30
  A3   450200  construction  invited_tender  awarded                        40 days later
  S1   450100  procurement   open_tender     awarded (sandbox)              with A2
  F1   450200  procurement   open_tender     failed at the opening (1 bid)  the deadline
  C1   450102  procurement   open_tender     cancelled while announced      T0 + 2 h
  D2   450200  construction  open_tender     cancelled as a draft           T0
  E1   450100  procurement   open_tender     still in publicity             —
  O1   450102  construction  open_tender     still announced                —
  D1   450100  construction  open_tender     still a draft (never counted)  —
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bidhall.demo import register
from evaluation.award import service as evaluation
from tests.conftest import construction_plan
from tests.trading.centers.conftest import actor, open_all
from trading.enums import Category, LotState, Method
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects import service as projects
from trading.projects.models import Lot
from trading.reports import tally

Check = Callable[[str], Awaitable[None]]

PROC: dict[str, Any] = {"category": Category.PROCUREMENT, "control_price": None}
PLANS: dict[str, dict[str, Any]] = {
    "A1": {"center": "450100", "budget": Decimal("10000000.00"),
           "control_price": Decimal("9500000.00")},
    "A2": {"center": "450102", "budget": Decimal("2000000.00"), **PROC},
    "A3": {"center": "450200", "budget": Decimal("1000000.00"),
           "control_price": Decimal("990000.00"), "method": Method.INVITED_TENDER},
    "A4": {"center": "450000", "budget": Decimal("500000.00"), **PROC},
    "S1": {"center": "450100", "budget": Decimal("600000.00"), "sandbox": True, **PROC},
    "F1": {"center": "450200", "budget": Decimal("3000000.00"), **PROC},
    "C1": {"center": "450102", "budget": Decimal("700000.00"), **PROC},
    "E1": {"center": "450100", "budget": Decimal("800000.00"), **PROC},
    "O1": {"center": "450102", "budget": Decimal("1200000.00"),
           "control_price": Decimal("1180000.55")},
}  # fmt: skip
DRAFTS = {"D1": "450100", "D2": "450200"}


def bids(low: str, step: str = "10000.00") -> dict[str, str]:
    base = Decimal(low)
    return {f"bidder-{i + 1}": str(base + i * Decimal(step)) for i in range(3)}


PRICES = {
    "A1": bids("9000000.00"),
    "A2": bids("1800000.37"),
    "A3": bids("891000.00"),
    "A4": bids("495000.10", step="1000.00"),
    "S1": bids("540000.00"),
    "E1": bids("790000.00"),
    "F1": {"bidder-1": "2900000.00"},
}


@dataclass
class History:
    lots: dict[str, Lot]
    ended: dict[str, datetime]  # when each lot that ended did


async def equal_to_recount(rt: Runtime, stage: str) -> None:
    """The tallies as kept equal the tallies recomputed from the lots."""
    async with rt.sessionmaker() as session:
        kept, expected = await tally.stored(session), await tally.recount(session)
    for table, buckets in expected.items():
        assert kept[table] == buckets, (stage, table.__tablename__)


async def make_history(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, check: Check
) -> History:
    lots: dict[str, Lot] = {}
    ended: dict[str, datetime] = {}
    for name, center in DRAFTS.items():
        plan = construction_plan(center=center, title=f"统计草稿 {name}")
        project_id = await register(
            rt, plan, issued=clock.now(), deadline=clock.now() + timedelta(days=21)
        )
        async with rt.sessionmaker() as session:
            project = await projects.get_project(
                session, project_id, await actor(rt, f"staff-{center}")
            )
            lots[name] = project.lots[0]
    async with rt.sessionmaker() as session:
        await projects.cancel_lot(
            session, lots["D2"].id, await actor(rt, "staff-450200"), "立项撤销", now=clock.now()
        )
    ended["D2"] = clock.now()
    for name, plan in PLANS.items():
        lots[name] = await publish_lot(title=f"统计 {name}", **plan)
    await check("published")

    clock.advance(timedelta(hours=2))
    async with rt.sessionmaker() as session:
        await projects.cancel_lot(
            session, lots["C1"].id, await actor(rt, "staff-450102"), "需求变更", now=clock.now()
        )
    ended["C1"] = clock.now()
    clock.advance(timedelta(days=1))
    for name, prices in PRICES.items():
        await bid(lots[name], prices)
    states = await open_all(rt, clock, [lots[n] for n in PRICES])
    assert states[lots["F1"].id] == LotState.FAILED
    ended["F1"] = max(lot.bid_deadline for lot in lots.values() if lot.state != LotState.DRAFT)
    await check("opened")

    ends = []
    for name in ("A1", "A2", "A3", "A4", "S1", "E1"):
        staff = await actor(rt, f"staff-{PLANS[name]['center']}")
        async with rt.sessionmaker() as session:
            await evaluation.evaluate_lot(
                session, lots[name].id, staff, now=clock.now(), settings=rt.settings
            )
            await evaluation.publish_candidates(
                session, lots[name].id, staff, now=clock.now(), settings=rt.settings
            )
            lot = await projects.get_lot(session, lots[name].id, staff)
            ends.append(evaluation.publicity_ends(lot, rt.settings))
    await check("publicity")

    first = max(ends) + timedelta(seconds=1)
    day = first.date()
    when = {
        "A1": first,
        "A2": datetime.combine(day + timedelta(days=1), time(23, 30), UTC),
        "S1": datetime.combine(day + timedelta(days=1), time(23, 30), UTC),
        # 00:30 the next day in Shanghai: the UTC day and the local day differ.
        "A4": datetime.combine(day + timedelta(days=2), time(16, 30), UTC),
        "A3": first + timedelta(days=40),
    }
    for name, at in sorted(when.items(), key=lambda item: item[1]):
        clock.set(at)
        staff = await actor(rt, f"staff-{PLANS[name]['center']}")
        async with rt.sessionmaker() as session:
            state = await evaluation.award_lot(
                session, lots[name].id, staff, now=clock.now(), settings=rt.settings
            )
        assert state == LotState.AWARDED, name
        ended[name] = at
    await check("awarded")

    async with rt.sessionmaker() as session:
        fresh = {name: await session.get(Lot, lot.id) for name, lot in lots.items()}
    return History({n: lot for n, lot in fresh.items() if lot is not None}, ended)


@pytest.fixture
async def history(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> History:
    async def nothing(_stage: str) -> None:
        return None

    return await make_history(rt, clock, publish_lot, bid, nothing)
