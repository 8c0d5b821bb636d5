"""Chromium watches a lot open live in the hall: counts first, then the 唱标 rows appear."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from playwright.async_api import Browser, Page

from bidding.opening.flows import run_opening
from bidhall.demo import DEMO_PASSWORD, release_shares
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

SHOTS = os.environ.get("BIDHALL_SCREENSHOTS")  # a directory: save what the hall looked like
WAIT_MS = 30_000


async def sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form button.primary")
    await page.wait_for_url(base + "/")


async def shot(page: Page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


async def test_hall_fills_the_record_live_and_highlights_my_row(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, browser: Browser, live_server: str
) -> None:
    lot = await publish_lot(title="开标大厅浏览器测试工程")
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline - timedelta(minutes=3))
    bidder = await browser.new_page(viewport={"width": 1280, "height": 1100})
    await sign_in(bidder, live_server, "bidder-2")
    await bidder.goto(f"{live_server}/lots/{lot.id}/hall")
    await bidder.wait_for_selector("#hall[data-connected='1']", timeout=WAIT_MS)
    public = await browser.new_page()
    await public.goto(f"{live_server}/lots/{lot.id}/hall")
    await public.wait_for_selector("#hall[data-connected='1']", timeout=WAIT_MS)
    # Presence reaches the bidder's page: one bidder, two viewers, no names.
    await bidder.wait_for_function(
        "document.getElementById('presence-viewers').textContent === '2'", timeout=WAIT_MS
    )
    assert await bidder.locator("#presence-bidders").inner_text() == "1"
    assert await bidder.locator("#countdown").inner_text() not in ("—", "已到开标时间")
    await shot(bidder, "hall-1-before.png")

    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    await public.wait_for_function(
        "document.getElementById('bid-count').textContent === '3'", timeout=WAIT_MS
    )
    assert await public.locator("#record-rows tr").count() == 0
    await shot(public, "hall-2-opening.png")

    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)
    for page in (bidder, public):
        await page.wait_for_function(
            "document.querySelectorAll('#record-rows tr').length === 3", timeout=WAIT_MS
        )
    assert await public.locator("#decrypt").inner_text() == "3 / 3"
    assert await public.locator("#hall-state").inner_text() == "已开标"
    rows = await public.locator("#record-rows").inner_text()
    assert "8,950,000.00" in rows and "南宁建工集团有限责任公司" in rows
    mine = bidder.locator("#record-rows tr.mine")
    assert await mine.count() == 1
    assert "南宁建工集团有限责任公司" in await mine.inner_text()
    assert await public.locator("#record-rows tr.mine").count() == 0

    # The bidder objects from the hall; every viewer sees it arrive.
    await bidder.wait_for_selector("#respond:not([hidden])", timeout=WAIT_MS)
    await bidder.fill("#objection-text", "请核实本单位工期承诺的唱标内容")
    await bidder.click("#object-btn")
    await public.wait_for_function(
        "document.getElementById('response-rows').textContent.includes('请核实本单位工期承诺')",
        timeout=WAIT_MS,
    )
    await shot(bidder, "hall-3-opened.png")
