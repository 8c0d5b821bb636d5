"""Statistics over a million lots: every report scope, through the service and over HTTP.

    .venv/bin/python bench/stats_scopes.py [--lots 1000000] [--runs 5] [--no-verify]

Setup (not timed): a scratch world (SQLite in a temp dir; a throwaway PostgreSQL database
when BIDHALL_DATABASE_URL names a PostgreSQL server), migrated and seeded, then grown to a
realistic three-level tree (one province, 14 cities, 98 counties: 113 centers) and `--lots`
lots written straight into the real tables (bulk Core inserts of projects with 1-3 lots each)
with categories, methods, sandbox projects, every state (mostly ended: awarded, failed,
cancelled), amounts in cents and times spread over two years. The statistics tallies are then
filled by the migration's own backfill SQL (bidhall/migrations/versions/0009) and checked,
bucket by bucket, against the tallies computed in Python while the lots were generated.

Timed, median of `--runs` after one warm-up, for each scope (platform; a city with its
counties; a county; a category; a date range; a month):
  service  trading.centers.stats.stats_scope + stats_report in a fresh session (what the
           route runs);
  HTTP     GET /api/v1/stats through httpx.ASGITransport against the app bidhall.app's
           factory builds, anonymous. Every request carries a distinct `_run` query parameter,
           which the route ignores, so the public page cache (trading.kernel.cache) never
           answers: the figures are renders;
  scan     (with verification, once) the same figures computed from the lots themselves
           (trading.reports.service.lot_stats_scan: the pre-tally query), which must be equal.
And GET /centers, /centers/<city>, /centers/<county> and the /stats page.

Baselines, measured before and after the platform runs (median): `SELECT 1` in a fresh
session, and a bare Litestar route doing that `SELECT 1`, over the same transport.
The target (issue 10) is < 0.2 s for every scope, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _figures import Figure, emit, median
from _servers import run_bench
from _world import ROOT, Stopwatch, World, build_world, loadavg, table

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Asia/Shanghai
SPAN = timedelta(days=730)
TARGET = 0.2  # seconds
BATCH = 20_000  # lots per insert batch

CATEGORIES = [  # (category, weight, [(method, weight)])
    ("construction", 40, [("open_tender", 80), ("invited_tender", 20)]),
    (
        "procurement",
        40,
        [
            ("open_tender", 50),
            ("competitive_negotiation", 15),
            ("inquiry", 15),
            ("competitive_consultation", 15),
            ("single_source", 5),
        ],
    ),
    ("land", 7, [("listing", 70), ("auction", 30)]),
    ("property", 8, [("listing", 60), ("auction", 40)]),
    ("other", 5, [("open_tender", 100)]),
]
STATES = [  # (state, weight): mostly ended, some in progress, a few drafts
    ("awarded", 800),
    ("failed", 70),
    ("cancelled", 50),
    ("draft", 10),
    ("announced", 30),
    ("opening", 5),
    ("opened", 10),
    ("evaluated", 10),
    ("publicity", 15),
]
IN_PROGRESS = {"announced", "opening", "opened", "evaluated", "publicity"}


def say(text: str) -> None:
    print(text, flush=True)


def migration() -> Any:
    """bidhall/migrations/versions/0009, loaded by path (the versions folder is no package)."""
    path = ROOT / "bidhall/migrations/versions/0009_statistics_aggregates.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the data ----------------------------------------------------------------------------------


def tree_codes() -> list[str]:
    """Guangxi: the province, its 14 cities, 7 counties each (113 centers)."""
    codes = ["450000"]
    for city in range(1, 15):
        codes.append(f"45{city:02d}00")
        codes += [f"45{city:02d}{county:02d}" for county in range(2, 9)]
    return codes


async def grow_tree(world: World) -> dict[str, int]:
    """Add the centers the seed lacks (Core inserts); code -> id of all of them."""
    from sqlalchemy import insert, select

    from trading.centers.models import Center
    from trading.kernel.codes import parse_division_code
    from trading.kernel.db import writing

    async with world.rt.sessionmaker() as session:
        ids = {c: i for c, i in await session.execute(select(Center.code, Center.id))}
        for code in tree_codes():  # parents first: the province, then each city and its counties
            if code in ids:
                continue
            parsed = parse_division_code(code)
            async with writing(session):
                await session.execute(
                    insert(Center).values(
                        code=code,
                        name=f"压测{code}公共资源交易中心",
                        name_en=f"Bench center {code}",
                        level=parsed.level,
                        parent_id=ids[parsed.parent_code] if parsed.parent_code else None,
                        timezone="Asia/Shanghai",
                        rule_overrides={},
                    )
                )
                ids[code] = await session.scalar(select(Center.id).where(Center.code == code))
    return ids


def pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


async def generate(world: World, n_lots: int, seed: int, watch: Stopwatch) -> dict[Any, Any]:
    """Write `n_lots` lots (and their projects) in batches; return the tallies they make,
    computed in Python as they are generated."""
    from sqlalchemy import func, insert, select, text

    from trading.auth.models import User
    from trading.kernel.db import is_sqlite, writing
    from trading.parties.models import Organization
    from trading.projects.models import Lot, Project
    from trading.reports import tally

    rng = random.Random(seed)
    with watch.phase("centers: 1 province, 14 cities, 98 counties"):
        ids = await grow_tree(world)
    codes = tree_codes()
    weights = [5 if c.endswith("0000") else 3 if c.endswith("00") else 1 for c in codes]
    async with world.rt.sessionmaker() as session:
        tenderer = await session.scalar(select(Organization.id).order_by(Organization.id))
        staff = await session.scalar(select(User.id).order_by(User.id))
        next_project = (await session.scalar(select(func.max(Project.id))) or 0) + 1
    categories = [(c, w) for c, w, _ in CATEGORIES]
    methods = {c: m for c, _, m in CATEGORIES}
    expected: dict[Any, Any] | None = None
    written = 0
    inserting = 0.0
    with watch.phase(f"{n_lots:,} lots (bulk inserts of {BATCH:,}) + their tallies in Python"):
        async with world.rt.sessionmaker() as session:
            while written < n_lots:
                projects: list[dict[str, Any]] = []
                lots: list[dict[str, Any]] = []
                facts: list[tuple[Any, ...]] = []
                while len(lots) < BATCH and written + len(lots) < n_lots:
                    pid = next_project
                    next_project += 1
                    center = rng.choices(codes, weights)[0]
                    category = pick(rng, categories)
                    method = pick(rng, methods[category])
                    sandbox = rng.random() < 0.02
                    created = NOW - SPAN * rng.random() - timedelta(days=30)
                    projects.append(
                        {
                            "id": pid,
                            "code": f"{center}-B{pid:08d}",
                            "title": f"压测项目 {pid}",
                            "center_id": ids[center],
                            "category": category,
                            "method": method,
                            "region_code": center,
                            "tenderer_org_id": tenderer,
                            "sandbox": sandbox,
                            "accelerator": 1440 if sandbox else 1,
                            "created_by_id": staff,
                            "created_at": created,
                        }
                    )
                    for number in range(1, 1 + rng.choice((1, 1, 1, 2, 2, 3))):
                        if written + len(lots) >= n_lots:
                            break
                        state = pick(rng, STATES)
                        if state in IN_PROGRESS or state == "draft":
                            changed = NOW - timedelta(days=20) * rng.random()
                        else:  # ended: spread over the two years
                            changed = NOW - SPAN * rng.random()
                        budget_c = rng.randrange(10_000_000, 5_000_000_000)
                        control_c = budget_c * 97 // 100 if category == "construction" else None
                        reference_c = control_c if control_c is not None else budget_c
                        premium = category in ("land", "property")
                        factor = rng.uniform(1.0, 1.6) if premium else rng.uniform(0.8, 1.0)
                        award_c = int(reference_c * factor) if state == "awarded" else None
                        deadline = (
                            changed + timedelta(days=10) if state in ("announced", "draft") else
                            changed - timedelta(days=5)
                        )  # fmt: skip
                        budget = Decimal(budget_c).scaleb(-2)
                        award = None if award_c is None else Decimal(award_c).scaleb(-2)
                        lots.append(
                            {
                                "project_id": pid,
                                "center_id": ids[center],
                                "number": number,
                                "title": f"第{number}标段",
                                "budget": budget,
                                "control_price": None
                                if control_c is None
                                else Decimal(control_c).scaleb(-2),
                                "price_basis": "budget" if control_c is None else "control_price",
                                "bid_security": Decimal(budget_c // 100).scaleb(-2),
                                "docs_issued_at": deadline - timedelta(days=21),
                                "bid_deadline": deadline,
                                "evaluation_method": "low_price",
                                "evaluation_params": {},
                                "state": state,
                                "state_changed_at": changed,
                                "award_price": award,
                                "awarded_at": changed if state == "awarded" else None,
                            }
                        )
                        facts.append(
                            (
                                ids[center],
                                category,
                                method,
                                sandbox,
                                state,
                                changed,
                                Decimal(reference_c).scaleb(-2),
                                award,
                            )
                        )
                t0 = time.perf_counter()
                async with writing(session):
                    await session.execute(insert(Project.__table__), projects)
                    await session.execute(insert(Lot.__table__), lots)
                inserting += time.perf_counter() - t0
                expected = tally.buckets_of(facts, expected)
                written += len(lots)
                if written % 200_000 < BATCH:
                    say(f"    {written:,} lots")
            if not is_sqlite(session):
                async with writing(session):  # explicit ids: move the sequence past them
                    await session.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence('project', 'id'),"
                            " (SELECT max(id) FROM project))"
                        )
                    )
    say(f"    of which the inserts: {inserting:.1f} s")
    assert expected is not None
    return expected


async def backfill(world: World, watch: Stopwatch) -> None:
    from sqlalchemy import text

    from trading.kernel.db import is_sqlite, writing

    statements = migration().backfill_sql(world.rt.engine.dialect.name)
    with watch.phase("tallies: the migration's backfill SQL"):
        async with world.rt.sessionmaker() as session, writing(session):
            for statement in statements:
                await session.execute(text(statement))
    async with world.rt.sessionmaker() as session:
        if not is_sqlite(session):
            with watch.phase("ANALYZE (what autovacuum does after a bulk load)"):
                await session.execute(text("ANALYZE"))
                await session.commit()


async def verify_tallies(world: World, expected: dict[Any, Any], watch: Stopwatch) -> list[str]:
    from trading.reports import tally

    with watch.phase("check: stored tallies = tallies computed while generating"):
        async with world.rt.sessionmaker() as session:
            kept = await tally.stored(session)
    problems = []
    for table_, buckets in expected.items():
        name = table_.__tablename__
        if kept.get(table_) != buckets:
            missing = len(set(buckets) - set(kept.get(table_, {})))
            problems.append(f"{name}: stored tally differs ({missing} buckets missing)")
        else:
            say(f"    {name}: {len(buckets):,} buckets, equal")
    return problems


# ---- timing ------------------------------------------------------------------------------------

SCOPES: list[tuple[str, dict[str, str]]] = [
    ("platform", {}),
    ("city 450100 + its counties", {"center": "450100", "scope": "subtree"}),
    ("county 450302", {"center": "450302", "scope": "self"}),
    ("category procurement", {"category": "procurement"}),
    ("date range 2025-03-15..2025-11-20", {"from": "2025-03-15", "to": "2025-11-20"}),
    ("month 2025-06", {"from": "2025-06-01", "to": "2025-06-30"}),
]
PAGES = ["/centers", "/centers/450100", "/centers/450302", "/stats"]


async def timed(fn: Callable[[int], Awaitable[None]], runs: int) -> tuple[float, list[float]]:
    await fn(-1)  # warm-up: imports, statement caches, first connection
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        await fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


async def run(args: argparse.Namespace, tmp: Path) -> int:
    import httpx
    from litestar import Litestar, get
    from sqlalchemy import text

    from bidhall.app import create_app
    from trading.centers.stats import stats_report, stats_scope
    from trading.kernel.clock import FixedClock
    from trading.reports.service import lot_stats, lot_stats_scan, period_bounds

    watch = Stopwatch(say)
    say(f"statistics: {args.lots:,} lots over 113 centers; load {loadavg()}")
    with watch.phase("world (migrate + seed)"):
        world = await build_world(tmp / "world", FixedClock(NOW), say=say)
    rt = world.rt
    db = "PostgreSQL" if world.pg_name else "SQLite"
    problems: list[str] = []
    try:
        expected = await generate(world, args.lots, args.seed, watch)
        await backfill(world, watch)
        problems += await verify_tallies(world, expected, watch)

        app = create_app(rt.settings, runtime=rt)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request

        @get("/bare")
        async def bare() -> dict[str, int]:
            async with rt.sessionmaker() as session:
                return {"one": int(await session.scalar(text("SELECT 1")) or 0)}

        bare_app = Litestar([bare])
        transport = httpx.ASGITransport(app=app)
        bare_transport = httpx.ASGITransport(app=bare_app)
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
            httpx.AsyncClient(transport=bare_transport, base_url="http://bench") as bare_http,
        ):

            async def select_one(_i: int) -> None:
                async with rt.sessionmaker() as session:
                    await session.scalar(text("SELECT 1"))

            async def bare_route(i: int) -> None:
                r = await bare_http.get("/bare", params={"_run": str(i)})
                r.raise_for_status()

            async def baselines() -> tuple[list[float], list[float]]:
                return (await timed(select_one, args.runs))[1], (
                    await timed(bare_route, args.runs)
                )[1]

            base_sql, base_http = await baselines()
            rows: list[list[str]] = []
            results: list[tuple[str, float]] = []
            for name, params in SCOPES:

                async def service(_i: int, params: dict[str, str] = params) -> None:
                    async with rt.sessionmaker() as session:
                        found = await stats_scope(
                            session,
                            center=params.get("center"),
                            scope=params.get("scope", "subtree"),  # type: ignore[arg-type]
                            category=params.get("category"),
                            date_from=date.fromisoformat(params["from"])
                            if "from" in params
                            else None,
                            date_to=date.fromisoformat(params["to"]) if "to" in params else None,
                            default_timezone=rt.settings.timezone,
                        )
                        await stats_report(session, found)

                async def route(i: int, params: dict[str, str] = params) -> None:
                    r = await http.get("/api/v1/stats", params={**params, "_run": str(i)})
                    if r.status_code != 200:
                        raise RuntimeError(f"/api/v1/stats {params}: {r.status_code} {r.text}")

                svc, _ = await timed(service, args.runs)
                over_http, _ = await timed(route, args.runs)
                scan = "-"
                if args.verify:
                    async with rt.sessionmaker() as session:
                        found = await stats_scope(
                            session,
                            center=params.get("center"),
                            scope=params.get("scope", "subtree"),  # type: ignore[arg-type]
                            category=params.get("category"),
                            date_from=date.fromisoformat(params["from"])
                            if "from" in params
                            else None,
                            date_to=date.fromisoformat(params["to"]) if "to" in params else None,
                            default_timezone=rt.settings.timezone,
                        )
                        start, end = period_bounds(
                            found.date_from, found.date_to, ZoneInfo(found.timezone)
                        )
                        query = {
                            "center_ids": found.center_ids,
                            "category": found.category,
                            "start": start,
                            "end": end,
                        }
                        fast = await lot_stats(session, **query)
                        t0 = time.perf_counter()
                        slow = await lot_stats_scan(session, **query)
                        scan = f"{(time.perf_counter() - t0) * 1000:,.0f}"
                    if sorted(map(repr, fast.rows)) != sorted(map(repr, slow.rows)):
                        problems.append(f"{name}: tallies and lot scan disagree")
                    elif not slow.rows:
                        problems.append(f"{name}: no lots in scope (a vacuous measurement)")
                results.append((f"GET /api/v1/stats — {name}", over_http))
                rows.append(
                    [
                        name,
                        f"{svc * 1000:.1f}",
                        f"{over_http * 1000:.1f}",
                        scan,
                        "yes" if over_http < TARGET else "NO",
                    ]
                )
            for path in PAGES:

                async def page(i: int, path: str = path) -> None:
                    r = await http.get(path, params={"_run": str(i)})
                    if r.status_code != 200:
                        raise RuntimeError(f"{path}: {r.status_code}")

                value, _ = await timed(page, args.runs)
                results.append((f"GET {path}", value))
                rows.append(
                    [
                        f"page {path}",
                        "-",
                        f"{value * 1000:.1f}",
                        "-",
                        "yes" if value < TARGET else "NO",
                    ]
                )
            after_sql, after_http = await baselines()
        sql_base = median(base_sql + after_sql)
        http_base = median(base_http + after_http)

        say("")
        say(f"statistics — {db}, {args.lots:,} lots, 113 centers, load {loadavg()}")
        say(
            table(
                ["scope", "service ms", "HTTP ms", "lot scan ms", f"< {TARGET} s"],
                [
                    *rows,
                    ["baseline: SELECT 1 (session)", f"{sql_base * 1000:.2f}", "-", "-", "-"],
                    ["baseline: bare route + SELECT 1", "-", f"{http_base * 1000:.2f}", "-", "-"],
                ],
            )
        )
        say(f"medians of {args.runs} runs after a warm-up; lot scan: once, the pre-tally query")
        for figure, value in results:
            emit(
                Figure(
                    bench="stats_scopes",
                    figure=f"{figure} ({db}, {args.lots:,} lots)",
                    value=value,
                    unit="s",
                    baseline=http_base,
                    baseline_name="bare route + SELECT 1",
                    target=f"< {TARGET} s",
                    met=value < TARGET,
                )
            )
        for problem in problems:
            say(f"PROBLEM: {problem}")
        return 1 if problems else 0
    finally:
        await world.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time every statistics scope over N generated lots (service and HTTP).",
        epilog="Honours BIDHALL_DATABASE_URL (PostgreSQL: a scratch database is created"
        " and dropped).",
    )
    parser.add_argument("--lots", type=int, default=1_000_000, help="lots (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    parser.add_argument("--seed", type=int, default=10, help="random seed of the generated data")
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the lot scan that checks each scope's figures (slow at 10^6 lots)",
    )
    args = parser.parse_args(argv)
    if not 1_000 <= args.lots <= 5_000_000:
        parser.error("--lots must be between 1,000 and 5,000,000")
    if not 1 <= args.runs <= 50:
        parser.error("--runs must be between 1 and 50")
    return run_bench(lambda tmp, _procs: run(args, tmp), "bidhall-statistics-", say)


if __name__ == "__main__":
    sys.exit(main())
