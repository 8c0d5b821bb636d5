"""Roll-up statistics over the three-level tree, against figures computed by hand.

The world: lots in every center, all published at T0 and opened at the same deadline.

  center  lot  category      reference (basis)            award          savings   rate
  450000  P1   construction  9,500,000.00 (control price)  9,000,000.00  500,000.00  5.26
  450100  N1   procurement   2,000,000.00 (budget)         1,800,000.00  200,000.00 10.00
  450102  X1   construction    990,000.00 (control price)    891,000.00   99,000.00 10.00
  450102  X2   procurement     500,000.00 (budget)           495,000.00    5,000.00  1.00
  450200  L1   procurement   4,000,000.00 (budget)         3,995,000.00    5,000.00  0.125 → 0.13
  apart:  F1 450200 failed (one bid), budget 3,000,000.00
          C1 450102 cancelled, budget 700,000.00
          S1 450100 sandbox, budget 600,000.00, award 540,000.00
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.support.clients import Client
from tests.trading.centers.conftest import actor, award_all, open_all
from trading.enums import Category, LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects import service as projects
from trading.projects.models import Lot, Project
from trading.reports.service import lot_stats

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROC = {"category": Category.PROCUREMENT, "control_price": None}


def bids(low: str, *, step: str = "10000.00") -> dict[str, str]:
    """Three bids: `low` wins (low-price method), two others above it."""
    base = Decimal(low)
    return {
        "bidder-1": low,
        "bidder-2": str(base + Decimal(step)),
        "bidder-3": str(base + 2 * Decimal(step)),
    }


@dataclass
class World:
    lots: dict[str, Lot]


@pytest.fixture
async def world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    plans: dict[str, dict[str, Any]] = {
        "P1": {"center": "450000", "budget": Decimal("10000000.00"),
               "control_price": Decimal("9500000.00")},
        "N1": {"center": "450100", "budget": Decimal("2000000.00"), **PROC},
        "X1": {"center": "450102", "budget": Decimal("1000000.00"),
               "control_price": Decimal("990000.00")},
        "X2": {"center": "450102", "budget": Decimal("500000.00"), **PROC},
        "L1": {"center": "450200", "budget": Decimal("4000000.00"), **PROC},
        "F1": {"center": "450200", "budget": Decimal("3000000.00"), **PROC},
        "C1": {"center": "450102", "budget": Decimal("700000.00"), **PROC},
        "S1": {"center": "450100", "budget": Decimal("600000.00"), "sandbox": True, **PROC},
    }  # fmt: skip
    prices = {
        "P1": bids("9000000.00"),
        "N1": bids("1800000.00"),
        "X1": bids("891000.00"),
        "X2": bids("495000.00", step="1000.00"),
        "L1": bids("3995000.00"),
        "F1": {"bidder-1": "2900000.00"},
        "S1": bids("540000.00"),
    }
    lots = {name: await publish_lot(title=f"统计测试 {name}", **p) for name, p in plans.items()}
    async with rt.sessionmaker() as session:
        await projects.cancel_lot(
            session, lots["C1"].id, await actor(rt, "staff-450102"), "需求变更", now=clock.now()
        )
    clock.advance(timedelta(days=1))
    for name, price in prices.items():
        await bid(lots[name], price)
    states = await open_all(rt, clock, [lot for n, lot in lots.items() if n != "C1"])
    assert states[lots["P1"].id] == LotState.OPENED
    await award_all(
        rt, clock, [(lot, plans[n]["center"]) for n, lot in lots.items() if n not in ("C1",)]
    )
    async with rt.sessionmaker() as session:
        fresh = {n: await session.get(Lot, lot.id) for n, lot in lots.items()}
    expected = {"F1": LotState.FAILED, "C1": LotState.CANCELLED}
    for name, lot in fresh.items():
        assert lot is not None
        assert lot.state == expected.get(name, LotState.AWARDED), (name, lot.state)
    return World({n: lot for n, lot in fresh.items() if lot is not None})


async def stats(client: Client, **params: str) -> dict[str, Any]:
    r = await client.get("/api/v1/stats", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def figures(count: int, ref: str, award: str, savings: str, rate: str | None) -> dict[str, Any]:
    return {
        "count": count,
        "reference_total": ref,
        "award_total": award,
        "savings_total": savings,
        "savings_rate": rate,
    }


async def test_rollup_matches_hand_computed_figures(world: World, client: Client) -> None:
    # County 450102 alone: X1 + X2.
    #   Σ ref 990,000 + 500,000 = 1,490,000; Σ award 891,000 + 495,000 = 1,386,000
    #   savings 104,000; rate 104,000 / 1,490,000 = 6.9799 % → 6.98 (mean of lot rates: 5.50)
    county = await stats(client, center="450102", scope="self")
    assert county["total"] == figures(2, "1490000.00", "1386000.00", "104000.00", "6.98")
    assert county["cancelled"] == {"count": 1, "reference_total": "700000.00"}

    # City 450100 alone: N1 only (S1 is a sandbox lot, kept apart).
    city = await stats(client, center="450100", scope="self")
    assert city["total"] == figures(1, "2000000.00", "1800000.00", "200000.00", "10.00")
    assert city["sandbox"] == figures(1, "600000.00", "540000.00", "60000.00", "10.00")

    # City 450100 with its county: Σ ref 2,000,000 + 1,490,000 = 3,490,000;
    #   Σ award 1,800,000 + 1,386,000 = 3,186,000; savings 304,000;
    #   rate 304,000 / 3,490,000 = 8.7106 % → 8.71 — not the mean of 10.00 and 6.98 (8.49).
    nanning = await stats(client, center="450100", scope="subtree")
    assert nanning["total"] == figures(3, "3490000.00", "3186000.00", "304000.00", "8.71")
    assert Decimal("8.71") != (Decimal("10.00") + Decimal("6.98")) / 2

    # Liuzhou 450200: L1; 5,000 / 4,000,000 = 0.125 % → 0.13 (half-up, not half-even 0.12).
    #   F1 failed: apart, with its budget.
    liuzhou = await stats(client, center="450200", scope="subtree")
    assert liuzhou["total"] == figures(1, "4000000.00", "3995000.00", "5000.00", "0.13")
    assert liuzhou["failed"] == {"count": 1, "reference_total": "3000000.00"}

    # Province 450000 alone: P1 against its control price: 500,000 / 9,500,000 = 5.263 → 5.26.
    province = await stats(client, center="450000", scope="self")
    assert province["total"] == figures(1, "9500000.00", "9000000.00", "500000.00", "5.26")

    # Province with everything below: Σ ref 9,500,000 + 3,490,000 + 4,000,000 = 16,990,000;
    #   Σ award 9,000,000 + 3,186,000 + 3,995,000 = 16,181,000; savings 809,000;
    #   rate 809,000 / 16,990,000 = 4.7616 % → 4.76.
    #   The mean of the three children's rolled-up rates (5.26, 8.71, 0.13) would be 4.70,
    #   the mean of the five lot rates 5.28 — both wrong.
    everything = await stats(client, center="450000", scope="subtree")
    assert everything["total"] == figures(5, "16990000.00", "16181000.00", "809000.00", "4.76")
    assert everything["failed"] == {"count": 1, "reference_total": "3000000.00"}
    assert everything["cancelled"] == {"count": 1, "reference_total": "700000.00"}
    assert everything["sandbox"]["count"] == 1
    children = [Decimal("5.26"), Decimal("8.71"), Decimal("0.13")]
    assert Decimal(everything["total"]["savings_rate"]) != round(sum(children) / 3, 2)

    # By category over the province's subtree:
    #   construction P1 + X1: ref 10,490,000, award 9,891,000, savings 599,000 → 5.7102 → 5.71
    #   procurement N1 + X2 + L1: ref 6,500,000, award 6,290,000, savings 210,000 → 3.2308 → 3.23
    by_cat = {row.pop("category"): row for row in everything["by_category"]}
    assert by_cat == {
        "construction": figures(2, "10490000.00", "9891000.00", "599000.00", "5.71"),
        "procurement": figures(3, "6500000.00", "6290000.00", "210000.00", "3.23"),
    }
    # Each center alone, in tree order.
    alone = {row["code"]: row["savings_rate"] for row in everything["by_center"]}
    assert alone == {"450000": "5.26", "450100": "10.00", "450102": "6.98", "450200": "0.13"}
    # No center: the whole platform, which here is the province's subtree.
    assert (await stats(client))["total"] == everything["total"]


async def test_category_and_period_filters(world: World, client: Client) -> None:
    # Procurement only under 450100: N1 + X2 = ref 2,500,000, award 2,295,000, savings 205,000
    #   → 8.20 %.
    proc = await stats(client, center="450100", category="procurement")
    assert proc["total"] == figures(2, "2500000.00", "2295000.00", "205000.00", "8.20")
    # Periods are award dates in the center's own zone; F1 failed at the opening, earlier.
    awarded_at = world.lots["P1"].awarded_at
    failed_at = world.lots["F1"].state_changed_at
    assert awarded_at is not None
    award_day = awarded_at.astimezone(SHANGHAI).date()
    fail_day = failed_at.astimezone(SHANGHAI).date()
    assert fail_day < award_day
    day = await stats(client, center="450000", **{"from": str(award_day), "to": str(award_day)})
    assert day["total"]["count"] == 5 and day["failed"]["count"] == 0
    before = await stats(client, center="450000", to=str(award_day - timedelta(days=1)))
    assert before["total"]["count"] == 0 and before["total"]["savings_rate"] is None
    assert before["failed"] == {"count": 1, "reference_total": "3000000.00"}
    after = await stats(client, center="450000", **{"from": str(award_day + timedelta(days=1))})
    assert after["total"] == figures(0, "0.00", "0.00", "0.00", None)


async def test_service_totals_agree_with_python_sums(world: World, rt: Runtime) -> None:
    """The GROUP BY sums equal the per-lot sums the ORM computes (no float drift)."""
    async with rt.sessionmaker() as session:
        grouped = await lot_stats(session)
        official = list(
            await session.scalars(
                select(Lot)
                .join(Project)
                .where(Lot.state == LotState.AWARDED, Project.sandbox.is_(False))
            )
        )
    assert len(official) == grouped.total.count == 5
    assert grouped.total.reference_total == sum(lot.reference_price for lot in official)
    assert grouped.total.award_total == sum(lot.award_price or 0 for lot in official)


async def test_csv_matches_json(world: World, client: Client) -> None:
    params = {"center": "450100", "scope": "subtree"}
    doc = await stats(client, **params)
    r = await client.get("/api/v1/stats.csv", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    by_section: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    keys = ["count", "reference_total", "award_total", "savings_total", "savings_rate"]

    def same(row: dict[str, str], figs: dict[str, Any]) -> None:
        for key in keys:
            expected = figs.get(key)
            expected = "" if expected is None else str(expected)
            assert row[key] == expected, (key, row, figs)

    same(by_section["total"][0], doc["total"])
    assert [r["category"] for r in by_section["category"]] == [
        c["category"] for c in doc["by_category"]
    ]
    for row, figs in zip(by_section["category"], doc["by_category"], strict=True):
        same(row, figs)
    assert [r["center"] for r in by_section["center"]] == ["450100", "450102"]
    for row, figs in zip(by_section["center"], doc["by_center"], strict=True):
        same(row, figs)
    same(by_section["sandbox"][0], doc["sandbox"])
    assert by_section["cancelled"][0]["count"] == "1"
    assert by_section["cancelled"][0]["reference_total"] == "700000.00"


@pytest.mark.parametrize("path", ["/api/v1/stats", "/api/v1/stats.csv"])
@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"scope": "everything"}, 400, "scope"),
        ({"from": "2026-13-01"}, 400, "date_from"),
        ({"to": "yesterday"}, 400, "date_to"),
        ({"center": "12"}, 400, "center"),
        ({"center": "999999"}, 422, "province"),
        ({"center": "450300"}, 404, "450300"),
        ({"category": "spaceships"}, 422, "category"),
        ({"scope": "self"}, 422, "scope=self"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, 422, "from"),
    ],
)
async def test_bad_query_is_a_problem(
    client: Client, path: str, params: dict[str, str], status: int, needle: str
) -> None:
    r = await client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and needle in r.text


async def test_stats_page_shows_table_and_chart(world: World, client: Client) -> None:
    r = await client.get("/stats", params={"center": "450100"}, headers={"accept": "text/html"})
    assert r.status_code == 200
    html = r.text
    assert 'id="stats-total"' in html and "8.71%" in html and "<svg" in html
    assert 'data-center="450102"' in html and "6.98%" in html
    r = await client.get("/stats", params={"lang": "en"}, headers={"accept": "text/html"})
    assert r.status_code == 200 and "Savings rate" in r.text and "4.76%" in r.text
