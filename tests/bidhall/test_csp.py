"""Content-Security-Policy: every response carries a strict policy, no template carries inline
code, the pages that used to run inline scripts work under the policy in Chromium, and the
browser suite's violation watch (tests/support/browser.py) catches an injected script."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from bidding.opening.flows import run_opening
from bidhall.demo import DEMO_PASSWORD, release_shares
from tests.bidding.hall.conftest import web_login
from tests.support.browser import CspViolationError, CspWatch
from tests.support.clients import Client
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HTML = {"Accept": "text/html"}
WAIT_MS = 30_000
LEFT = re.compile(r"^(\d+(天|d) )?\d{2}:\d{2}:\d{2}$")  # what a running countdown shows


def policy_of(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


def assert_protected(response: Any) -> None:
    where = f"{response.request.method} {response.request.url} ({response.status_code})"
    policy = policy_of(response.headers.get("content-security-policy", ""))
    for name in ("default-src", "script-src", "style-src", "connect-src", "form-action"):
        assert policy.get(name) == ["'self'"], (where, name, policy)
    for name in ("object-src", "base-uri", "frame-ancestors"):
        assert policy.get(name) == ["'none'"], (where, name, policy)
    everything = " ".join(s for sources in policy.values() for s in sources)
    assert "unsafe" not in everything and "*" not in everything, where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "same-origin", where


async def custodian_of(rt: Runtime, lot: Lot) -> str:
    assert lot.custody is not None
    async with rt.sessionmaker() as session:
        user = await session.get(User, lot.custody["custodians"][0])
        assert user is not None
        return user.username


# --- the templates ---------------------------------------------------------------------------

INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")"),
    "<style> block": re.compile(r"<style\b"),
    "style attribute": re.compile(r"\sstyle\s*="),
    "inline event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_carries_inline_code() -> None:
    found = [
        f"{path.name}:{n}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        for what, pattern in INLINE.items()
        if pattern.search(line)
    ]
    assert found == []


def test_the_scanner_sees_what_it_forbids() -> None:
    """The template scan above must flag each kind of inline code, or its silence means nothing."""
    samples = {
        "inline <script>": '<script>alert(1)</script> <script type="module">x()</script>',
        "<style> block": "<style>p{}</style>",
        "style attribute": '<p style="color:red">',
        "inline event handler": '<button onclick="go()">',
        "javascript: URL": '<a href="javascript:go()">',
    }
    for what, sample in samples.items():
        assert INLINE[what].search(sample), what
    allowed = '<script type="module" src="/static/js/hall.js"></script>'
    allowed += '<script type="application/json" id="hall-text">{}</script><div data-online="1">'
    assert not any(p.search(allowed) for p in INLINE.values())


# --- the headers -----------------------------------------------------------------------------


async def test_every_kind_of_response_carries_the_policy(
    rt: Runtime, publish_lot: Any, client: Client
) -> None:
    lot = await publish_lot(title="安全策略头测试工程")
    public = [
        "/",
        f"/lots/{lot.id}",
        f"/lots/{lot.id}/hall",
        "/centers",
        "/stats",
        "/login",
        "/static/js/hall.js",
        "/static/css/site.css",
        "/no-such-page",  # the router's own 404, which no route middleware sees
        "/lots/99999999999999999999999/hall",  # refused by a middleware before any handler
        "/bidder",  # 401 for the public
    ]
    for path in public:
        assert_protected(await client.get(path, headers=HTML))
    assert_protected(await client.get("/api/v1/lots"))  # JSON: harmless there too
    assert_protected(await client.get("/healthz"))

    await web_login(client, await custodian_of(rt, lot))
    for path in ("/custodian", f"/custodian/lots/{lot.id}"):
        response = await client.get(path, headers=HTML)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        assert_protected(response)

    await web_login(client, "bidder-2")
    for path in ("/bidder", f"/bidder/lots/{lot.id}"):
        response = await client.get(path, headers=HTML)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        assert_protected(response)


async def test_the_api_browser_runs_under_the_page_policy_plus_data_images(
    client: Client,
) -> None:
    """/schema serves Swagger UI from static/vendor with no inline code: the page policy holds
    there too, with one addition for its style sheet's icons (img-src data:); the rest of the
    site does not get that addition (tests/bidhall/test_schema_offline.py runs it offline)."""
    for path in ("/schema", "/schema/swagger", "/schema/openapi.json"):
        response = await client.get(path, headers=HTML)
        assert response.status_code == 200, path
        policy = policy_of(response.headers["content-security-policy"])
        assert policy.pop("img-src") == ["'self'", "data:"], path
        for name in ("default-src", "script-src", "style-src", "connect-src", "form-action"):
            assert policy.get(name) == ["'self'"], (path, name)
        assert response.headers["x-content-type-options"] == "nosniff"
    assert_protected(await client.get("/schemata-lookalike", headers=HTML))


# --- the watch in the browser suite ----------------------------------------------------------


async def test_the_watch_reports_an_injected_inline_script(
    browser: Browser, live_server: str, csp_watch: CspWatch
) -> None:
    """A portal page served with an injected inline script, handler and style attribute (what a
    template regression or an XSS would add): the browser refuses all three and the watch
    that fails every browser test reports them, even after the page navigated away."""
    injected = (
        '<script>document.documentElement.dataset.injected = "ran"</script>'
        '<p id="probe" style="color: rgb(255, 0, 0)">probe</p>'
        '<img id="probe-img" src="/static/css/site.css" onerror="document.title = \'pwned\'">'
    )

    async def inject(route: Route) -> None:
        response = await route.fetch()
        body = (await response.text()).replace("</main>", injected + "</main>")
        await route.fulfill(response=response, body=body)

    page = await browser.new_page()
    await page.route(live_server + "/", inject)
    await page.goto(live_server + "/")
    await page.wait_for_function("() => window.__cspViolations.length >= 3", timeout=WAIT_MS)
    assert await page.get_attribute("html", "data-injected") is None  # the script never ran
    color = await page.eval_on_selector("#probe", "p => getComputedStyle(p).color")
    assert color != "rgb(255, 0, 0)"
    assert "pwned" not in await page.title()

    await page.goto(live_server + "/centers")  # the violating document is gone
    await csp_watch.collect()
    # Both channels saw them: the page's violation events (through the binding, since the page
    # holding them is gone) and Chromium's console errors.
    directives = {v["directive"] for v in csp_watch.events.values()}
    assert directives == {"script-src-elem", "style-src-attr", "script-src-attr"}
    assert csp_watch.console and all("Content Security Policy" in m for m in csp_watch.console)
    with pytest.raises(CspViolationError) as raised:
        csp_watch.check()  # what the `browser` fixture runs after every test
    for directive in directives:
        assert directive in str(raised.value)
    csp_watch.check()  # reported once: the clean page after it leaves nothing behind


async def test_the_watch_is_quiet_on_a_clean_page(
    browser: Browser, live_server: str, csp_watch: CspWatch
) -> None:
    page = await browser.new_page()
    await page.goto(live_server + "/centers")
    await csp_watch.collect()
    assert csp_watch.take() == ([], [])


# --- the pages that used to carry inline code, in Chromium under the policy -------------------


async def sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form.login button.primary")
    await page.wait_for_url(base + "/")


async def test_custodian_pages_count_down_under_the_policy(
    rt: Runtime, publish_lot: Any, browser: Browser, live_server: str
) -> None:
    lot = await publish_lot(title="保管人倒计时测试工程")
    page = await browser.new_page()
    await sign_in(page, live_server, await custodian_of(rt, lot))
    # The site's style sheet applies (style-src 'self'): the header wears the brand colour.
    header = await page.eval_on_selector("header", "h => getComputedStyle(h).backgroundColor")
    assert header == "rgb(164, 22, 26)"

    await page.goto(live_server + "/custodian")
    cell = page.locator(f"tr[data-lot-id='{lot.id}'] td.countdown")
    await page.wait_for_function(
        "(td) => td.textContent !== '—'", arg=await cell.element_handle(), timeout=WAIT_MS
    )
    assert LEFT.match(await cell.inner_text()), await cell.inner_text()

    await page.goto(f"{live_server}/custodian/lots/{lot.id}?lang=en")
    await page.wait_for_function(
        "document.getElementById('countdown').textContent !== '—'", timeout=WAIT_MS
    )
    left = await page.locator("#countdown").inner_text()
    assert LEFT.match(left) and "天" not in left, left
    # It ticks (by the browser's own second, so this waits at most about one). The bare
    # expression is polled more than once: the watch's fixture keeps that from needing eval.
    await page.wait_for_function(
        f"document.getElementById('countdown').textContent !== {left!r}", timeout=WAIT_MS
    )
    # The share box keeps its full width from the sheet, not from a style attribute.
    widths = await page.eval_on_selector(
        "textarea.share", "t => [t.offsetWidth, t.closest('form').offsetWidth]"
    )
    assert widths[0] == widths[1]


async def test_opening_record_and_centers_tree_under_the_policy(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    browser: Browser,
    live_server: str,
) -> None:
    lot = await publish_lot(title="开标记录页安全策略测试工程")
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED

    page = await browser.new_page()
    await page.goto(f"{live_server}/lots/{lot.id}/opening")
    # The responses module ran: it fetched the objection window and wrote it in.
    await page.wait_for_selector("#record-responses[data-ready=true]", timeout=WAIT_MS)
    assert "：" in await page.locator("#record-window").inner_text()
    assert await page.get_attribute("#print-link", "href") == "#"
    # The print sheet is linked and hides the site chrome on paper.
    await page.emulate_media(media="print")
    assert await page.eval_on_selector("header", "h => getComputedStyle(h).display") == "none"

    await page.goto(f"{live_server}/lots/{lot.id}")
    await page.goto(live_server + "/centers")
    root, child = await page.eval_on_selector_all(
        "#centers tbody tr td:first-child",
        "tds => [tds[0], tds[1]].map((td) => parseFloat(getComputedStyle(td).paddingLeft))",
    )
    assert child > root  # a sub-center is indented by the sheet's indent-1 class
