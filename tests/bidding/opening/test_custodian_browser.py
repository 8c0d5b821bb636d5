"""Issue 13 item 5, in Chromium: custodians release their shares in one click. One keeps its key
in the browser (imported from its CLI key file), the other picks its key file for this release
only; nothing is downloaded or pasted, and the opening completes. A colleague's key file, a
share released twice and a click before the opening are refused with sentences."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page
from sqlalchemy import func, select

from bidding.client.verify import ApiClient, follow_opening
from bidding.opening.flows import run_opening
from bidding.opening.models import ReleasedShare
from bidhall.demo import DEMO_PASSWORD, key_path
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

WAIT_MS = 30_000


async def custodian_page(browser: Browser, base: str, username: str, lot_id: int) -> Page:
    """A fresh context (its own IndexedDB), signed in, on the lot's custodian page."""
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form[action='/login'] button")
    await page.wait_for_url(base + "/")
    await page.goto(f"{base}/custodian/lots/{lot_id}")
    await page.wait_for_selector("body[data-ready=true]")
    return page


async def custodians_of(rt: Runtime, lot_id: int) -> list[str]:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None and lot.custody is not None
        names = [(await session.get(User, uid)) for uid in lot.custody["custodians"]]
    return [u.username for u in names if u is not None]


async def released(rt: Runtime, lot_id: int) -> int:
    async with rt.sessionmaker() as session:
        n = await session.scalar(
            select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot_id)
        )
    return int(n or 0)


async def test_two_custodians_release_in_the_browser_and_the_opening_completes(
    rt: Runtime, clock: FixedClock, browser: Browser, live_server: str, publish_lot: Any, bid: Any
) -> None:
    lot: Lot = await publish_lot(title="一键释放分片工程")
    await bid(lot)
    first, second, *_ = await custodians_of(rt, lot.id)

    # Before the opening the button waits (and the server would refuse anyway).
    early = await custodian_page(browser, live_server, first, lot.id)
    assert await early.is_disabled("#release-share")
    assert await early.is_visible("#too-early")
    await early.context.close()

    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING

    # The first custodian keeps its key in this browser: imported once from its CLI key file.
    one = await custodian_page(browser, live_server, first, lot.id)
    assert await one.is_enabled("#release-share")
    assert await one.get_attribute("#key-import-box", "open") is not None  # the way offered
    await one.set_input_files("#key-import-file", str(key_path(rt, first)))
    await one.fill("#key-import-pass", DEMO_PASSWORD)
    await one.click("#key-import")
    await one.wait_for_selector("#key-status[data-state=ok]")
    await one.click("#release-share")
    await one.wait_for_url(f"**/custodian/lots/{lot.id}?released=opening")
    await one.wait_for_selector("body[data-ready=true]")
    assert "已提交，开标进行中" in await one.inner_text("#message")
    assert (await one.inner_text("#progress")).startswith("1 /")
    assert await one.query_selector("#release-share") is None  # released: nothing to click
    assert await released(rt, lot.id) == 1

    # The second custodian first picks a colleague's key file: refused in a sentence, nothing sent.
    two = await custodian_page(browser, live_server, second, lot.id)
    assert await two.get_attribute("#key-status", "data-state") == "other"  # no key stored here
    await two.click("#release-share")
    await two.wait_for_selector("#error[data-failed=true]")
    assert "我的密钥" in await two.inner_text("#error")  # no key here: import or choose a file
    await two.set_input_files("#release-key-file", str(key_path(rt, first)))
    await two.fill("#release-key-pass", DEMO_PASSWORD)
    await two.click("#release-share")
    await two.wait_for_function(
        "() => document.getElementById('error').textContent.includes('指纹不符')"
    )
    assert await released(rt, lot.id) == 1

    # ... then its own key file, used for this release only (not stored in the browser).
    await two.set_input_files("#release-key-file", str(key_path(rt, second)))
    await two.click("#release-share")
    await two.wait_for_url(f"**/custodian/lots/{lot.id}?released=*")
    await two.wait_for_selector("body[data-ready=true]")
    assert await two.get_attribute("#key-status", "data-state") == "other"  # the file: not kept
    assert await released(rt, lot.id) == 2

    # k shares are in: the server's background job recovers the key and opens every bid.
    with ApiClient(live_server) as api:
        assert await asyncio.to_thread(follow_opening, api, lot.id, lambda _m: None) == "opened"
    async with rt.sessionmaker() as session:
        fresh = await session.get(Lot, lot.id)
        assert fresh is not None and fresh.state == LotState.OPENED
    await two.goto(f"{live_server}/custodian/lots/{lot.id}?released=opened")
    assert "已完成解密" in await two.inner_text("#message")
    assert "opened" not in await two.inner_text("#message")


async def test_release_twice_from_two_tabs_is_refused_in_words(
    rt: Runtime, clock: FixedClock, browser: Browser, live_server: str, publish_lot: Any, bid: Any
) -> None:
    lot: Lot = await publish_lot(title="重复释放分片工程")
    await bid(lot)
    first, *_ = await custodians_of(rt, lot.id)
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    key_file: Path = key_path(rt, first)

    page = await custodian_page(browser, live_server, first, lot.id)
    stale = await page.context.new_page()  # a second tab, opened before the release
    await stale.goto(f"{live_server}/custodian/lots/{lot.id}")
    await stale.wait_for_selector("body[data-ready=true]")
    for tab in (page, stale):
        await tab.set_input_files("#release-key-file", str(key_file))
        await tab.fill("#release-key-pass", DEMO_PASSWORD)
    await page.click("#release-share")
    await page.wait_for_url(f"**/custodian/lots/{lot.id}?released=opening")
    await stale.click("#release-share")
    await stale.wait_for_selector("#error[data-failed=true]")
    text = await stale.inner_text("#error")
    assert "已于" in text and "无需再次释放" in text and "Traceback" not in text
    assert await released(rt, lot.id) == 1
