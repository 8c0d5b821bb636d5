"""Shared fixtures: a migrated, seeded database per test (SQLite by default, PostgreSQL when
BIDHALL_TEST_DATABASE_URL says so), its blob and key directories, and a clock tests move."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bidhall.demo import LotPlanDemo, register_and_publish, seed, submit_bids
from bidhall.demo.steps import enrol as enrol_bidders
from bidhall.migrate import upgrade
from tests.support.clients import Client, Ran, app_client, run_cli
from trading.enums import Category, Method
from trading.kernel.clock import FixedClock
from trading.kernel.config import Settings
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

# The session's Chromium and the `browser` marker (Playwright loads only for browser tests).
pytest_plugins = ["tests.support.browser"]

# Monday 2026-03-02 09:00 in Asia/Shanghai: a working day, far from any holiday.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PG_URL = os.environ.get("BIDHALL_TEST_DATABASE_URL", "")
_counter = itertools.count()


@dataclass(frozen=True)
class Template:
    """A seeded database plus its blob/key directories, copied for every test."""

    root: Path
    url: str


def _pg_admin(url: str) -> tuple[str, str]:
    """(asyncpg DSN of the maintenance database, base name for test databases)."""
    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    return dsn, parsed.database or "bidhall_test"


async def _pg_exec(url: str, *statements: str) -> None:
    import asyncpg

    dsn, _ = _pg_admin(url)
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _db_url(root: Path, name: str) -> str:
    if PG_URL:
        return str(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    return f"sqlite+aiosqlite:///{root / 'bidhall.db'}"


def settings_for(root: Path, url: str) -> Settings:
    return Settings(
        database_url=url,
        blob_dir=root / "blobs",
        key_dir=root / "keys",
        run_scheduler=False,
        decrypt_processes=0,  # threads: tests patch the decryption; one test uses processes
    )


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    root = tmp_path_factory.mktemp("template")
    base = _pg_admin(PG_URL)[1] if PG_URL else ""
    name = f"{base}_template_{os.getpid()}"  # concurrent sessions must not share a template
    if PG_URL:
        asyncio.run(
            _pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        )
    url = _db_url(root, name)
    upgrade(url)

    async def seed_template() -> None:
        rt = Runtime.build(settings_for(root, url), FixedClock(T0))
        await seed(rt, T0)
        await rt.engine.dispose()

    asyncio.run(seed_template())
    yield Template(root, url)
    if PG_URL:
        asyncio.run(_pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture
async def rt(template: Template, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A fresh copy of the seeded world, with a FixedClock at T0."""
    root = tmp_path / "world"
    shutil.copytree(template.root, root)
    name = ""
    if PG_URL:
        base = _pg_admin(PG_URL)[1]
        name = f"{base}_{os.getpid()}_{next(_counter)}"
        await _pg_exec(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{base}_template_{os.getpid()}"')
    runtime = Runtime.build(settings_for(root, _db_url(root, name)), FixedClock(T0))
    try:
        yield runtime
    finally:
        if runtime.scheduler is not None:
            runtime.scheduler.shutdown()
        await runtime.jobs.drain()  # an opening a test kicked finishes before its database goes
        await runtime.engine.dispose()
        if PG_URL:
            await _pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clock(rt: Runtime) -> FixedClock:
    assert isinstance(rt.clock, FixedClock)
    return rt.clock


# ---- building blocks for platform tests (real services, real crypto) ---------------------------

PRICES = {"bidder-1": "9100000.00", "bidder-2": "8950000.00", "bidder-3": "9230000.00"}
DEMO_BIDDERS = ("bidder-1", "bidder-2", "bidder-3", "bidder-4")


def construction_plan(**changes: Any) -> LotPlanDemo:
    base = LotPlanDemo(
        center="450100",
        title="测试道路工程",
        lot_title="第1标段",
        category=Category.CONSTRUCTION,
        method=Method.OPEN_TENDER,
        budget=Decimal("9800000.00"),
        control_price=Decimal("9500000.00"),
        prices=dict(PRICES),
    )
    return replace(base, **changes)


@pytest.fixture
def publish_lot(rt: Runtime, clock: FixedClock) -> Any:
    """Register and publish a lawful construction lot: issued now, deadline 21 days later.

    The demo bidders then register (报名) and lodge the lot's bid security, as submission
    requires; `enrol=("bidder-1",)` names fewer, `enrol=()` none."""

    async def make(enrol: Iterable[str] = DEMO_BIDDERS, **changes: Any) -> Lot:
        plan = construction_plan(**changes)
        lot = await register_and_publish(
            rt, plan, issued=clock.now(), deadline=clock.now() + timedelta(days=21)
        )
        await enrol_bidders(rt, lot, enrol)
        return lot

    return make


@pytest.fixture
def bid(rt: Runtime) -> Any:
    """Seal and submit bids from demo bidders (their keys live in their own key files)."""

    async def make(lot: Lot, prices: dict[str, str] | None = None) -> None:
        await submit_bids(rt, lot, PRICES if prices is None else prices, lambda _m: None)

    return make


@pytest.fixture
def live_server(rt: Runtime) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1 (ephemeral port), serving this test's world."""
    import threading

    import uvicorn

    from bidhall.app import create_app

    app_rt = Runtime.build(rt.settings, rt.clock)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(rt.settings, runtime=app_rt),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            # A page left open on the hall keeps its SSE stream: don't wait for the browser.
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(2000):  # bounded readiness poll, not a sleep for time
        if server.started:
            break
        thread.join(timeout=0.01)
    assert server.started, "server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    """Litestar's test client on the app, sharing this test's world and clock."""
    async with app_client(rt) as c:
        yield c


@pytest.fixture
def bidhall() -> Any:
    """`await bidhall("audit", "verify", …)`: the CLI in a worker thread, so a server running
    in its own thread keeps serving and the test's event loop stays free."""

    async def invoke(*args: str) -> Ran:
        return await asyncio.to_thread(run_cli, *args)

    return invoke
