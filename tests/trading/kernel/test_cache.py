"""The public page cache (trading/kernel/cache.py), attacked from both sides.

Against the real app: a signed-in user's page is never stored nor served to anyone, and a
cached anonymous page is never served to a signed-in user; a lot transition drops the portal
and the lot page at once (no time passes); a write the cache is not told about shows once the
TTL has run out on the injected clock; replayed pages keep the security headers; languages
are kept apart; errors are not kept.

Against a small app carrying only the middleware: a 500, a response setting a session cookie
or marked private is not kept; a response rendered for a user is not kept even without
credentials in the request; concurrent misses render once; a render that an invalidation
overtook is not stored; `invalidate_on_commit` drops pages again at commit, not at rollback.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar, Response, get
from litestar.middleware import DefineMiddleware
from sqlalchemy import update

from bidhall.demo import demo_user, register
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.conftest import T0, construction_plan
from tests.support.clients import Client, bearer
from trading.auth.service import actor_for
from trading.kernel.actor import Actor
from trading.kernel.cache import (
    DEFAULT_TTL,
    Entry,
    PublicCache,
    PublicCacheMiddleware,
    invalidate,
    invalidate_on_commit,
    public_cache,
)
from trading.kernel.clock import FixedClock
from trading.kernel.csp import CONTENT_SECURITY_POLICY
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.projects import service as projects
from trading.projects.models import Project

HTML = {"Accept": "text/html"}


def hit(response: httpx.Response) -> bool:
    return response.headers.get("x-cache") == "hit"


def cache_of(client: Client) -> PublicCache:
    return client.app.state.public_cache  # type: ignore[no-any-return]


async def signed_in_as(client: Client, username: str) -> dict[str, str]:
    """Sign in through the form and return the session as explicit request headers; the
    client's own cookie jar is emptied so that every other request is anonymous."""
    await web_login(client, username)
    session = client.cookies["bh_session"]
    client.cookies.clear()
    return {"Cookie": f"bh_session={session}", **HTML}


# ---- the real app ------------------------------------------------------------------------------


async def test_a_signed_in_page_is_never_stored_nor_served_to_anyone(
    client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    cache = cache_of(client)
    me = await signed_in_as(client, "bidder-1")

    mine = await client.get(f"/lots/{lot.id}", headers=me)
    assert mine.status_code == 200
    assert 'action="/logout"' in mine.text  # their page: their name, their sign-out form
    token = csrf_of(mine.text)
    assert not hit(mine)
    assert (len(cache), cache.stores) == (0, 0)  # nothing of it was kept

    anonymous = await client.get(f"/lots/{lot.id}", headers=HTML)
    assert anonymous.status_code == 200 and not hit(anonymous)
    assert 'action="/logout"' not in anonymous.text and token not in anonymous.text
    again = await client.get(f"/lots/{lot.id}", headers=HTML)
    assert hit(again) and again.text == anonymous.text

    # The reverse: an anonymous copy is cached, and the signed-in user still gets their own.
    hits = cache.hits
    mine_again = await client.get(f"/lots/{lot.id}", headers=me)
    assert not hit(mine_again) and csrf_of(mine_again.text) == token
    assert cache.hits == hits


async def test_any_credentials_bypass_the_cache(client: Client, publish_lot: Any) -> None:
    lot = await publish_lot()
    cache = cache_of(client)
    anonymous = await client.get(f"/lots/{lot.id}", headers=HTML)
    assert cache.stores == 1 and 'action="/logout"' not in anonymous.text
    token = await bearer(client, "bidder-1")
    for headers in (
        {**token, **HTML},  # an API token
        {"Cookie": "bh_session=not-a-session", **HTML},  # a stale or forged session cookie
        {"Cookie": "lang=zh; bh_session=", **HTML},  # even an empty one
    ):
        for _ in range(2):
            r = await client.get(f"/lots/{lot.id}", headers=headers)
            assert r.status_code == 200 and not hit(r), headers
    assert (cache.stores, cache.hits) == (1, 0)


async def test_a_lot_transition_drops_the_portal_and_the_lot_page_at_once(
    client: Client, publish_lot: Any, rt: Runtime, clock: FixedClock
) -> None:
    lot = await publish_lot()
    pages = ["/", f"/lots/{lot.id}"]
    for path in pages:
        await client.get(path, headers=HTML)
        cached = await client.get(path, headers=HTML)
        assert hit(cached) and "state-announced" in cached.text, path

    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        assert await projects.cancel_lot(session, lot.id, staff, "需求变更", now=clock.now())

    for path in pages:  # no time has passed: only the invalidation can explain a fresh page
        fresh = await client.get(path, headers=HTML)
        assert not hit(fresh), path
        assert "state-cancelled" in fresh.text and "state-announced" not in fresh.text, path
        assert hit(await client.get(path, headers=HTML)), path  # and it is kept again


async def test_the_ttl_bounds_a_change_the_cache_is_not_told_about(
    client: Client, publish_lot: Any, rt: Runtime, clock: FixedClock
) -> None:
    """What another worker process's write looks like to this process's cache."""
    lot = await publish_lot(title="旧名称工程")
    path = f"/lots/{lot.id}"
    assert "旧名称工程" in (await client.get(path, headers=HTML)).text
    async with rt.sessionmaker() as session, writing(session):
        await session.execute(
            update(Project).where(Project.id == lot.project_id).values(title="新名称工程")
        )

    clock.advance(timedelta(seconds=DEFAULT_TTL) - timedelta(milliseconds=1))
    stale = await client.get(path, headers=HTML)
    assert hit(stale) and "旧名称工程" in stale.text
    clock.advance(timedelta(milliseconds=1))
    fresh = await client.get(path, headers=HTML)
    assert not hit(fresh) and "新名称工程" in fresh.text


async def test_a_replayed_page_keeps_the_security_headers(client: Client, publish_lot: Any) -> None:
    lot = await publish_lot()
    for path in ("/", f"/lots/{lot.id}"):
        fresh = await client.get(path, headers=HTML)
        cached = await client.get(path, headers=HTML)
        assert not hit(fresh) and hit(cached)
        for r in (fresh, cached):
            assert r.headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY]
            assert r.headers.get("x-content-type-options") == "nosniff"
            assert r.headers.get("referrer-policy") == "same-origin"
            assert r.headers["content-type"].startswith("text/html")
        assert cached.content == fresh.content
        assert cached.headers["content-length"] == str(len(cached.content))


async def test_languages_are_cached_apart(client: Client) -> None:
    english = await client.get("/?lang=en", headers=HTML)
    assert '<html lang="en">' in english.text and "Tenders" in english.text
    assert english.cookies.get("lang") == "en"
    client.cookies.clear()  # the language cookie it set: the next visitor is someone else

    chinese = await client.get("/", headers=HTML)
    assert '<html lang="zh-CN">' in chinese.text and "交易公告" in chinese.text
    assert not hit(chinese)
    by_cookie = await client.get("/", headers={"Cookie": "lang=en", **HTML})
    assert not hit(by_cookie) and '<html lang="en">' in by_cookie.text

    for headers, path, lang in (
        (HTML, "/?lang=en", "en"),
        (HTML, "/", "zh-CN"),
        ({"Cookie": "lang=en", **HTML}, "/", "en"),
        ({"Cookie": "lang=zh", **HTML}, "/?lang=en", "en"),  # the query wins, as in page()
    ):
        r = await client.get(path, headers=headers)
        client.cookies.clear()
        assert f'<html lang="{lang}">' in r.text, (path, headers)
    replayed = await client.get("/?lang=en", headers=HTML)
    assert hit(replayed) and replayed.cookies.get("lang") == "en"  # the same for everyone


async def test_errors_are_not_cached(client: Client, rt: Runtime, clock: FixedClock) -> None:
    cache = cache_of(client)
    draft = await register(
        rt, construction_plan(), issued=clock.now(), deadline=clock.now() + timedelta(days=21)
    )
    async with rt.sessionmaker() as session:
        staff = actor_for(await demo_user(rt, "staff-450100"))
        draft_lot = (await projects.get_project(session, draft, staff)).lots[0].id
    for path in ("/lots/999999", f"/lots/{draft_lot}", f"/lots/{draft_lot}/opening"):
        for _ in range(2):
            r = await client.get(path, headers=HTML)
            assert r.status_code == 404 and not hit(r), path
    assert (len(cache), cache.stores) == (0, 0)
    # The draft's own staff see it, and their page is not kept either.
    r = await client.get(f"/lots/{draft_lot}", headers=await signed_in_as(client, "staff-450100"))
    assert r.status_code == 200 and len(cache) == 0


# ---- the middleware alone ----------------------------------------------------------------------


class Fixture:
    """A small app with the cache middleware and routes that misbehave on purpose."""

    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.cache = PublicCache(self.clock)
        self.calls: dict[str, int] = {}
        self.gate = asyncio.Event()
        self.gate.set()
        self.entered = asyncio.Event()
        self.arrived = 0
        self.fail_next = False

        def count(name: str) -> int:
            self.calls[name] = self.calls.get(name, 0) + 1
            return self.calls[name]

        @public_cache
        @get("/page")
        async def page_route() -> str:
            n = count("page")
            self.entered.set()
            await self.gate.wait()
            if self.fail_next:
                self.fail_next = False
                raise RuntimeError("boom")
            return f"page {n}"

        @public_cache
        @get("/cookie", sync_to_thread=False)
        def cookie_route(name: str) -> Response[str]:
            count("cookie")
            response = Response("with a cookie")
            response.set_cookie(name, "1")
            return response

        @public_cache
        @get("/private", sync_to_thread=False)
        def private_route() -> Response[str]:
            count("private")
            return Response("private", headers={"Cache-Control": "private"})

        @public_cache
        @get("/empty", sync_to_thread=False)
        def empty_route() -> Response[bytes]:
            count("empty")
            return Response(b"")

        @public_cache
        @get("/someone", sync_to_thread=False)
        def someone_route() -> str:
            return f"for user {count('someone')}"

        @get("/plain", sync_to_thread=False)
        def plain_route() -> str:
            return f"plain {count('plain')}"

        fixture = self

        class Arrivals:
            """Counts requests before they reach the cache (nothing awaits in between)."""

            def __init__(self, app: Any) -> None:
                self.app = app

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                fixture.arrived += 1
                if scope["path"] == "/someone":  # as if some other mechanism signed them in
                    scope["user"] = Actor(user_id=7, name="someone")
                await self.app(scope, receive, send)

        self.app = Litestar(
            route_handlers=[
                page_route,
                cookie_route,
                private_route,
                empty_route,
                someone_route,
                plain_route,
            ],
            middleware=[Arrivals, DefineMiddleware(PublicCacheMiddleware, cache=self.cache)],
            debug=False,
        )

    def client(self) -> httpx.AsyncClient:
        # The ASGI transport runs the app on this test's own event loop: real concurrency.
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test"
        )


async def test_a_failure_is_not_kept_and_the_next_success_is() -> None:
    f = Fixture()
    async with f.client() as c:
        f.fail_next = True
        assert (await c.get("/page")).status_code == 500
        ok = await c.get("/page")
        assert (ok.status_code, ok.text, hit(ok)) == (200, "page 2", False)
        again = await c.get("/page")
        assert (again.text, hit(again)) == ("page 2", True)


async def test_only_shareable_responses_are_kept() -> None:
    f = Fixture()
    async with f.client() as c:
        for path in ("/cookie?name=bh_session", "/private", "/empty", "/someone", "/plain"):
            first = await c.get(path)
            c.cookies.clear()  # what it set: the next request is another anonymous visitor's
            second = await c.get(path)
            c.cookies.clear()
            assert not hit(first) and not hit(second), path
        assert f.calls == {"cookie": 2, "private": 2, "empty": 2, "someone": 2, "plain": 2}
        assert len(f.cache) == 0
        # The language cookie (chosen by ?lang=, which is in the key) may be replayed.
        await c.get("/cookie?name=lang")
        c.cookies.clear()
        replayed = await c.get("/cookie?name=lang")
        assert hit(replayed) and replayed.cookies.get("lang") == "1"


async def test_concurrent_misses_render_once() -> None:
    f = Fixture()
    f.gate.clear()
    async with f.client() as c:
        many = [asyncio.ensure_future(c.get("/page")) for _ in range(20)]
        await asyncio.wait_for(f.entered.wait(), 10)
        for _ in range(10_000):  # yield until every request has reached the cache
            if f.arrived == len(many):
                break
            await asyncio.sleep(0)
        assert f.arrived == len(many)
        f.gate.set()
        answers = await asyncio.gather(*many)
    assert f.calls == {"page": 1}
    assert {(r.status_code, r.text) for r in answers} == {(200, "page 1")}
    assert sum(hit(r) for r in answers) == len(many) - 1


async def test_a_render_overtaken_by_an_invalidation_is_not_stored() -> None:
    f = Fixture()
    f.gate.clear()
    async with f.client() as c:
        first = asyncio.ensure_future(c.get("/page"))
        await asyncio.wait_for(f.entered.wait(), 10)
        invalidate()  # a write committed while the page was being rendered from older rows
        f.gate.set()
        assert (await first).text == "page 1"
        after = await c.get("/page")
        assert (after.text, hit(after)) == ("page 2", False)
        assert hit(await c.get("/page"))


async def test_expiry_follows_the_injected_clock_only() -> None:
    f = Fixture()
    async with f.client() as c:
        await c.get("/page")
        f.clock.advance(timedelta(seconds=DEFAULT_TTL) - timedelta(microseconds=1))
        assert hit(await c.get("/page"))
        f.clock.advance(timedelta(microseconds=1))
        assert not hit(await c.get("/page"))
        f.clock.advance(-timedelta(seconds=1))  # a clock set back: the entry's age is unknown
        assert not hit(await c.get("/page"))


def test_the_cache_is_bounded_in_entries_and_bytes() -> None:
    from trading.kernel import cache as module

    clock = FixedClock(T0)
    now = clock.now().timestamp()

    def entry(size: int) -> Entry:
        return Entry(200, (), b"x" * size, now, now + 5, module._generation.value)

    few = PublicCache(clock, max_entries=3)
    for i in range(5):
        assert few.put(f"k{i}", entry(1))
    assert len(few) == 3
    assert [few.get(f"k{i}") is not None for i in range(5)] == [False, False, True, True, True]

    small = PublicCache(clock, max_bytes=10)
    assert small.put("a", entry(4)) and small.put("b", entry(4))
    assert small.put("c", entry(4))  # 12 bytes would not fit: the oldest goes
    assert [small.get(k) is not None for k in "abc"] == [False, True, True]
    assert not small.put("huge", entry(11)) and small.get("huge") is None


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
async def test_invalidate_on_commit_drops_pages_again_at_commit(rt: Runtime, outcome: str) -> None:
    from trading.kernel import cache as module

    cache = PublicCache(rt.clock)
    now = rt.clock.now().timestamp()

    def store(key: str) -> None:
        assert cache.put(key, Entry(200, (), b"x", now, now + 5, module._generation.value))

    store("before")
    async with rt.sessionmaker() as session:
        with pytest.raises(RuntimeError) if outcome == "rollback" else contextlib.nullcontext():
            async with writing(session):
                invalidate_on_commit(session)
                assert cache.get("before") is None  # at once
                store("meanwhile")  # rendered from the rows before the commit
                if outcome == "rollback":
                    raise RuntimeError("the write fails")
        if outcome == "commit":
            assert cache.get("meanwhile") is None  # the commit drops it
        else:
            assert cache.get("meanwhile") is not None  # nothing changed: nothing to drop
        store("after")
        async with writing(session):  # a later commit of the same session owes nothing
            pass
        assert cache.get("after") is not None
