"""Reports read from the tallies give exactly the figures a scan of the lots gives, for every
scope, category and period, whatever the zone the period is drawn in."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.trading.reports.conftest import History
from trading.centers.models import Center
from trading.centers.scope import subtree
from trading.kernel.runtime import Runtime
from trading.reports.service import (
    Part,
    Stats,
    lot_stats,
    lot_stats_scan,
    period_bounds,
    plan,
)

ZONES = ["Asia/Shanghai", "UTC", "Asia/Kolkata", "America/New_York", "Pacific/Chatham"]
FAR = datetime(9999, 1, 1, tzinfo=UTC)
NEVER = datetime(1, 1, 2, tzinfo=UTC)


def figures(stats: Stats) -> list[tuple[Any, ...]]:
    """Every row with its amounts as the report prints them."""
    return sorted(
        (r.center_id, r.category, r.sandbox, r.state, r.count, str(r.reference_total),
         str(r.award_total))
        for r in stats.rows
    )  # fmt: skip


def periods(history: History) -> list[tuple[date | None, date | None]]:
    days = sorted({at.date() for at in history.ended.values()})
    out: list[tuple[date | None, date | None]] = [(None, None)]
    for day in days:
        for a, b in ((0, 0), (-1, 1)):
            out.append((day + timedelta(days=a), day + timedelta(days=b)))
        out += [(None, day), (day + timedelta(days=1), None)]
    first, last = days[0], days[-1]
    out += [
        (first.replace(day=1), last),  # whole months and days
        (first.replace(day=1), (last.replace(day=1) + timedelta(days=40)).replace(day=1)),
        (first - timedelta(days=400), last + timedelta(days=400)),
        (first + timedelta(days=3), last - timedelta(days=1)),
        (first.replace(day=1), first.replace(day=1)),
    ]
    return out


async def test_every_scope_and_period_matches_a_scan(history: History, rt: Runtime) -> None:
    async with rt.sessionmaker() as session:
        centers = {c.code: c.id for c in await session.scalars(select(Center))}
        edges = [(c.id, c.parent_id) for c in await session.scalars(select(Center))]
        scopes: list[tuple[set[int] | None, str | None]] = [
            (None, None),
            (None, "procurement"),
            (set(subtree(edges, centers["450100"])), None),
            ({centers["450200"]}, "construction"),
        ]
        seen_rows = 0
        for zone in ZONES:
            for date_from, date_to in periods(history):
                start, end = period_bounds(date_from, date_to, ZoneInfo(zone))
                for center_ids, category in scopes:
                    query = {"center_ids": center_ids, "category": category}
                    fast = await lot_stats(session, start=start, end=end, **query)
                    slow = await lot_stats_scan(session, start=start, end=end, **query)
                    assert figures(fast) == figures(slow), (zone, date_from, date_to, query)
                    seen_rows += len(slow.rows)
        assert seen_rows > 300  # the periods hit lots, not only empty ranges
        # The whole history, undated: every outcome (the draft and the lots in progress apart).
        whole = await lot_stats(session)
        assert sum(r.count for r in whole.rows) == 8
        assert whole.total.count == 4 and whole.sandbox.count == 1


def span(p: Part) -> tuple[datetime, datetime]:
    if p.source == "scan":
        return p.lo or NEVER, p.hi or FAR
    lo = NEVER if p.lo is None else datetime.combine(p.lo, datetime.min.time(), UTC)
    hi = FAR if p.hi is None else datetime.combine(p.hi, datetime.min.time(), UTC)
    return lo, hi


def tiles(start: datetime | None, end: datetime | None, parts: list[Part]) -> None:
    """The parts' signed sum covers [start, end) exactly once and nothing else; lots are read
    for at most a day, at most 12 hours at each edge of a longer period."""
    if start is None and end is None:
        assert parts == [Part("all")]
        return
    assert all(p.source != "all" for p in parts)
    lo, hi = start or NEVER, end or FAR
    spans = [(span(p), p.sign) for p in parts]
    for (a, b), _ in spans:
        assert a < b
    for p in parts:
        if p.source == "month":
            assert (p.lo is None or p.lo.day == 1) and (p.hi is None or p.hi.day == 1), p
        if p.source == "scan":
            a, b = span(p)
            assert b - a <= timedelta(days=1) and (b - a <= timedelta(hours=12) or len(parts) == 1)
    points = sorted({lo, hi, *(x for (a, b), _ in spans for x in (a, b))})
    for a, b in itertools.pairwise(points):
        covered = sum(sign for (x, y), sign in spans if x <= a and b <= y)
        assert covered == (1 if lo <= a and b <= hi else 0), (start, end, parts, a, b)
    assert len(parts) <= 5


@pytest.mark.parametrize("zone", ZONES)
def test_plan_tiles_any_period(zone: str) -> None:
    rng = random.Random(zone)
    tz = ZoneInfo(zone)
    base = date(2025, 1, 1)
    for _ in range(2000):
        a = base + timedelta(days=rng.randrange(0, 800))
        b = a + timedelta(days=rng.choice([0, 0, 1, 2, 27, 31, 45, 90, 400]))
        date_from = None if rng.random() < 0.15 else a
        date_to = None if rng.random() < 0.15 else b
        start, end = period_bounds(date_from, date_to, tz)
        tiles(start, end, plan(start, end))
    # Odd instants, not only a zone's midnights.
    for _ in range(2000):
        s = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 10**8))
        e = s + timedelta(seconds=rng.choice([1, 3600, 86399, 86400, 86401, 10**6, 10**7]))
        tiles(s, e, plan(s, e))
    assert plan(None, None) == [Part("all")]
