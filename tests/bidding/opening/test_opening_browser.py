"""Issue 13, in Chromium: a bidder seals in its browser, checks in (签到) on the hall page before
the opening, and decrypts its own bid there within the window; the hall shows every bid and
custodian as acted / not yet acted and the time left."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import select

from bidding.opening import flows
from bidding.opening.models import CheckIn
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import DEMO_PASSWORD
from tests.bidding.submission.test_browser_sealing import (
    PRICE,
    bidder_1,
    fill_bid,
    open_lot_with_fresh_keys,
    review_and_confirm,
    sign_in,
)
from trading.audit.models import AuditEntry
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


async def sign_in_again(page: Page, base: str) -> None:
    """Days passed, the web session expired: sign in again in the same browser profile (the
    key stays in its IndexedDB)."""
    await page.goto(base + "/login")
    await page.fill("input[name=username]", "bidder-1")
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form[action='/login'] button")
    await page.wait_for_url(base + "/")


async def test_bidder_checks_in_and_decrypts_its_own_bid_in_the_hall(
    browser: Browser,
    live_server: str,
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
) -> None:
    lot: Lot = await publish_lot(title="浏览器解密道路工程")
    await bid(lot, {"bidder-2": "8950000.00", "bidder-3": "9230000.00"})
    page = await sign_in(browser, live_server, "bidder-1")
    await open_lot_with_fresh_keys(page, live_server, lot.id)
    await fill_bid(page)
    await review_and_confirm(page)
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    org, _key = await bidder_1(rt)

    # 签到 opens 30 minutes before the opening: a plain form on the hall page.
    clock.set(lot.bid_deadline - timedelta(minutes=10))
    await sign_in_again(page, live_server)
    await page.goto(f"{live_server}/lots/{lot.id}/hall")
    await page.wait_for_selector("#hall[data-connected='1']", timeout=WAIT_MS)
    assert await page.locator("#roster-box").is_hidden()  # nothing about who bid before it
    await page.click("#check-in-btn")
    await page.wait_for_selector("#checked-in", timeout=WAIT_MS)
    async with rt.sessionmaker() as session:
        checked = await session.scalar(select(CheckIn).where(CheckIn.lot_id == lot.id))
    assert checked is not None and checked.org_id == org.id

    # The opening starts while the page is open: the roster appears, with the time left.
    await page.wait_for_selector("#hall[data-connected='1']", timeout=WAIT_MS)
    clock.set(lot.bid_deadline)
    assert await flows.run_opening(rt, lot.id) == LotState.OPENING
    await page.wait_for_selector("#roster-rows tr >> nth=2", timeout=WAIT_MS)
    await page.wait_for_selector("#decrypt-box:not([hidden])", timeout=WAIT_MS)
    statuses = await page.locator("#roster-rows tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.position, r.dataset.status, r.className])"
    )
    # bidder-2 and -3 bid first; bidder-1 (this browser) is third, marked as ours.
    assert statuses == [["1", "active", ""], ["2", "active", ""], ["3", "active", "mine"]]
    checked_cells = await page.locator("#roster-rows tr td:nth-child(2)").all_inner_texts()
    assert checked_cells == ["否", "否", "是"]
    custodians = await page.locator("#custodian-rows tr").evaluate_all(
        "rows => rows.map(r => r.dataset.released)"
    )
    assert custodians and set(custodians) == {"0"}  # nobody has released yet
    left = await page.locator("#window-left").inner_text()
    assert left.startswith("00:") and left != "00:00:00"  # about 30 minutes left

    await page.click("#decrypt-own-btn")
    await page.wait_for_selector("#decrypt-msg[data-done=true]", timeout=WAIT_MS)
    await page.wait_for_selector(
        "#roster-rows tr[data-position='3'][data-status='decrypted']", timeout=WAIT_MS
    )
    await page.wait_for_selector("#decrypt-box", state="hidden", timeout=WAIT_MS)
    assert await page.inner_text("#my-bid-status") == "已解密"
    async with rt.sessionmaker() as session:
        row = await session.scalar(
            select(Bid).where(Bid.lot_id == lot.id, Bid.bidder_org_id == org.id)
        )
        decided = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "opening.bid_decrypted")
            )
        )
    # Opened with the key its browser released, not the custodians' (none released).
    assert row is not None and row.status == BidStatus.DECRYPTED and str(row.price) == PRICE
    assert len(decided) == 1 and json.loads(decided[0].body)["detail"]["bid_id"] == row.id
    assert decided[0].actor_id is not None  # the bidder's user, not the opening's system actor
