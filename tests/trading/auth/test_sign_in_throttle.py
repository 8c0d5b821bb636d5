"""Sign-in cannot be turned against its user: guesses are throttled per (username, address)
with growing delays, a flood from one address never locks the owner out of another, the audit
log grows by one entry per window (not per guess), and scrypt runs off the event loop.

The app is served on the test's own event loop through httpx's ASGITransport, which sets the
client address per client, so requests from several addresses really run concurrently."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from bidhall.app import create_app
from bidhall.demo import DEMO_PASSWORD
from trading.audit.models import AuditEntry
from trading.auth.models import SignInThrottle
from trading.auth.passwords import HASHING_POOL, HASHING_WORKERS
from trading.auth.service import MAX_DELAY, throttle_address
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

OWNER = "custodian-450100-1"  # a key custodian: locking them out would stall an opening
ATTACKER, HOME = "203.0.113.66", "198.51.100.7"
BUDGET = 5  # Settings.login_max_failures

ClientFrom = Callable[[str], httpx.AsyncClient]


@asynccontextmanager
async def served(rt: Runtime) -> AsyncIterator[ClientFrom]:
    """The real app (own engine, this test's database and clock) on this event loop;
    `client_from(address)` gives an HTTP client whose requests come from that address."""
    app_rt = Runtime.build(rt.settings, rt.clock)
    app = create_app(app_rt.settings, runtime=app_rt)
    clients: list[httpx.AsyncClient] = []

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    try:
        async with app.lifespan():
            yield client_from
    finally:
        for client in clients:
            await client.aclose()
        await app_rt.engine.dispose()


async def sign_in(client: httpx.AsyncClient, password: str, username: str = OWNER) -> Any:
    return await client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )


async def audit_entries(rt: Runtime) -> list[AuditEntry]:
    async with rt.sessionmaker() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


async def throttle_rows(rt: Runtime) -> int:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(SignInThrottle)) or 0


async def test_flood_from_one_address_never_locks_the_owner_out_of_another(rt: Runtime) -> None:
    before = len(await audit_entries(rt))
    async with served(rt) as client_from:
        attacker, owner = client_from(ATTACKER), client_from(HOME)
        guesses = [sign_in(attacker, f"guess-{i:02d}-wrong") for i in range(50)]
        *flood, own = await asyncio.gather(*guesses, sign_in(owner, DEMO_PASSWORD))
        assert own.status_code == 201, own.text
        # The budget holds under concurrency: each attempt is reserved before its check.
        statuses = sorted(r.status_code for r in flood)
        assert statuses == [401] * BUDGET + [429] * (50 - BUDGET)
        # The attacker's address stays locked, even with the right password ...
        assert (await sign_in(attacker, DEMO_PASSWORD)).status_code == 429
        # ... while the owner keeps signing in from home, again and again.
        for _ in range(3):
            assert (await sign_in(owner, DEMO_PASSWORD)).status_code == 201
    # Four sign-ins (login + token each); the 51 refused guesses wrote nothing yet.
    added = (await audit_entries(rt))[before:]
    assert [e.action for e in added] == ["auth.login", "auth.token_issued"] * 4
    assert {e.ip for e in added} == {HOME}


async def test_delays_grow_on_the_injected_clock_and_are_capped(
    rt: Runtime, clock: FixedClock
) -> None:
    async with served(rt) as client_from:
        attacker = client_from(ATTACKER)
        for _ in range(BUDGET - 1):
            assert (await sign_in(attacker, "wrong-password")).status_code == 401
        # The budget's last failure already locks the next attempt for one second.
        assert (await sign_in(attacker, "wrong-password")).status_code == 401
        refused = await sign_in(attacker, DEMO_PASSWORD)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["status"] == 429 and problem["title"] == "too_many_requests"
        assert problem["retry_after"] == 1 and "1" in problem["detail"]

        # Each wait over, one more guess is admitted (and fails); the next wait doubles.
        waits = [1]
        for _ in range(11):
            clock.advance(timedelta(seconds=waits[-1] - 1))
            assert (await sign_in(attacker, DEMO_PASSWORD)).status_code == 429  # 1 s early
            clock.advance(timedelta(seconds=1))
            assert (await sign_in(attacker, "wrong-password")).status_code == 401
            r = await sign_in(attacker, DEMO_PASSWORD)
            assert r.status_code == 429
            waits.append(int(r.headers["retry-after"]))
        cap = int(MAX_DELAY.total_seconds())
        assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, cap, cap, cap]
        # Once the wait is over the owner's right password gets through, and resets the count.
        clock.advance(timedelta(seconds=waits[-1]))
        assert (await sign_in(attacker, DEMO_PASSWORD)).status_code == 201
        for _ in range(BUDGET):
            assert (await sign_in(attacker, "wrong-password")).status_code == 401


async def test_audit_log_gets_one_summary_per_window_not_one_entry_per_guess(
    rt: Runtime, clock: FixedClock
) -> None:
    before = len(await audit_entries(rt))
    async with served(rt) as client_from:
        attacker = client_from(ATTACKER)
        await asyncio.gather(*(sign_in(attacker, f"guess-{i}") for i in range(50)))
        assert len(await audit_entries(rt)) == before  # nothing per guess
        # The window closes after a quiet window; the next guess opens a new one and the
        # closed window is written once, with its counts.
        clock.advance(timedelta(seconds=rt.settings.login_window_seconds))
        assert (await sign_in(attacker, "one-more-guess")).status_code == 401
        added = (await audit_entries(rt))[before:]
        assert [e.action for e in added] == ["auth.failures"]
        entry = json.loads(added[0].body)
        assert (entry["actor"], entry["ip"], entry["target"]) == (
            OWNER,
            ATTACKER,
            {"type": "user", "id": OWNER},
        )
        assert entry["detail"]["failures"] == BUDGET
        assert entry["detail"]["refused"] == 50 - BUDGET
        # A window nobody comes back to is closed by a later sign-in of anyone, anywhere.
        clock.advance(timedelta(seconds=rt.settings.login_window_seconds))
        assert (await sign_in(client_from(HOME), DEMO_PASSWORD, "bidder-1")).status_code == 201
    added = (await audit_entries(rt))[before:]
    summaries = [json.loads(e.body)["detail"] for e in added if e.action == "auth.failures"]
    assert [(s["failures"], s["refused"]) for s in summaries] == [(BUDGET, 45), (1, 0)]
    assert await throttle_rows(rt) == 0  # closed windows leave no rows behind


async def test_an_address_guessing_many_usernames_is_capped_there_only(
    rt: Runtime, clock: FixedClock
) -> None:
    async with served(rt) as client_from:
        attacker, home = client_from(ATTACKER), client_from(HOME)
        spray = [sign_in(attacker, "Password123", f"user-{i:02d}") for i in range(BUDGET * 4)]
        assert {r.status_code for r in await asyncio.gather(*spray)} == {401}
        # Over the address's budget: a fresh username from there is refused unchecked ...
        r = await sign_in(attacker, "Password123", "user-fresh")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert (await sign_in(attacker, DEMO_PASSWORD, "bidder-1")).status_code == 429
        # ... and nowhere else.
        assert (await sign_in(home, DEMO_PASSWORD, "bidder-1")).status_code == 201
        # When the window closes the address itself is summarised once, with its refusals.
        before = len(await audit_entries(rt))
        clock.advance(timedelta(seconds=rt.settings.login_window_seconds))
        assert (await sign_in(attacker, "Password123", "user-00")).status_code == 401
    added = (await audit_entries(rt))[before:]
    by_address = [json.loads(e.body) for e in added if e.target_type == "address"]
    assert [
        (e["target"]["id"], e["detail"]["failures"], e["detail"]["refused"]) for e in by_address
    ] == [(ATTACKER, BUDGET * 4, 2)]


async def test_sign_in_page_explains_the_wait(rt: Runtime) -> None:
    before = len(await audit_entries(rt))
    async with served(rt) as client_from:
        browser = client_from(ATTACKER)
        form = {"username": OWNER, "password": "wrong-password"}
        for _ in range(BUDGET):
            assert (await browser.post("/login", data=form)).status_code == 401
        page = await browser.post("/login", data=form)
        assert page.status_code == 429 and page.headers["retry-after"] == "1"
        assert "text/html" in page.headers["content-type"]
        assert "登录失败次数过多，请 1 秒后再试" in page.text
        english = await browser.post("/login?lang=en", data=form)
        assert "Try again in 1 s." in english.text
        home = await client_from(HOME).post("/login", data={**form, "password": DEMO_PASSWORD})
        assert home.status_code in (302, 303) and "bh_session" in home.cookies
    assert len(await audit_entries(rt)) == before + 1  # the owner's sign-in at home only


async def test_password_hashing_leaves_the_event_loop_serving(rt: Runtime) -> None:
    """With every hashing worker held, a sign-in and a bidder sign-up wait for the pool while
    the loop keeps answering; released, both complete. On the loop they could not wait."""
    release = threading.Event()
    holders = [HASHING_POOL.submit(release.wait) for _ in range(HASHING_WORKERS)]
    try:
        async with served(rt) as client_from:
            home = client_from(HOME)
            signup = {"username": "newbidder", "password": "a-long-password-1"}
            pending = [
                asyncio.create_task(sign_in(home, DEMO_PASSWORD)),
                asyncio.create_task(home.post("/api/v1/auth/signup", json=signup)),
            ]
            # Readiness poll (bounded): until both scrypt jobs queue behind the held workers.
            for _ in range(2000):
                if HASHING_POOL._work_queue.qsize() >= 2:
                    break
                await asyncio.wait(pending, timeout=0.005)
            assert HASHING_POOL._work_queue.qsize() == 2
            for _ in range(3):
                assert (await home.get("/healthz")).status_code == 200
            assert (await home.get("/", headers={"accept": "text/html"})).status_code == 200
            assert not any(task.done() for task in pending)
            release.set()
            signed_in, signed_up = await asyncio.gather(*pending)
            assert signed_in.status_code == 201 and signed_up.status_code == 201
    finally:
        release.set()
        for holder in holders:
            holder.result()


def test_throttle_address_groups_ipv6_by_64() -> None:
    assert throttle_address("2001:db8:1:2::1") == throttle_address("2001:db8:1:2:ffff::9")
    assert throttle_address("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert throttle_address("2001:db8:1:3::1") != throttle_address("2001:db8:1:2::1")
    assert throttle_address("203.0.113.66") == "203.0.113.66"
    assert throttle_address("testclient") == "testclient"
