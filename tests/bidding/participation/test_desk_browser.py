"""Chromium, as staff-450100: upload a tender document, publish an amendment, answer a bidder's
question, then watch a lot past its deadline on the opening tab (custodians and bidders)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, Page

from bidding.opening.flows import run_opening
from bidhall.demo import DEMO_PASSWORD
from tests.support.clients import bearer
from trading.auth.models import User
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

WAIT_MS = 30_000


async def sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form button.primary")
    await page.wait_for_url(base + "/")


async def test_staff_runs_the_lot_desk_in_the_browser(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    browser: Browser,
    live_server: str,
) -> None:
    # A lot past its deadline, opening: three sealed bids wait for the custodians' shares.
    past = await publish_lot(title="已截止标段")
    clock.advance(timedelta(days=1))
    await bid(past)
    clock.set(past.bid_deadline)
    await run_opening(rt, past.id)
    # A live lot: a bidder registers and asks.
    lot = await publish_lot(title="工作台浏览器测试工程")
    async with httpx.AsyncClient(base_url=live_server) as api:
        bidder = await bearer(api, "bidder-1")
        assert (await api.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)).is_success
        asked = await api.post(
            f"/api/v1/lots/{lot.id}/questions", json={"text": "工期能否延长？"}, headers=bidder
        )
        assert asked.status_code == 201

    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    await sign_in(page, live_server, "staff-450100")

    # Documents: upload, then see its digest listed.
    await page.goto(f"{live_server}/center/lots/{lot.id}/documents")
    content = b"%PDF-1.7 tender documents for the browser test"
    await page.set_input_files(
        "#upload-form input[name=file]",
        files=[{"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": content}],
    )
    await page.click("#upload-form button.primary")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert hashlib.sha256(content).hexdigest() in await page.inner_text("#documents")

    # An amendment: the rule is shown by the deadline field; published, it is listed.
    assert "第23条" in await page.inner_text("#deadline-rule")
    await page.fill("#amend-form input[name=title]", "关于开标地点的澄清")
    await page.fill("#amend-form textarea[name=body]", "开标改为全流程网上进行。")
    await page.click("#amend-form button.primary")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert "关于开标地点的澄清" in await page.inner_text("#amendments")

    # The question tab: answer the one unanswered question.
    await page.click("nav.tabs a[href$='/questions']")
    await page.wait_for_selector(".answer-form", timeout=WAIT_MS)
    assert await page.inner_text("#unanswered") == "1"
    await page.fill(".answer-form textarea[name=text]", "工期不可延长。")
    await page.click(".answer-form button.primary")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert await page.inner_text("#unanswered") == "0"
    assert "工期不可延长。" in await page.inner_text("#questions")

    # The lot past its deadline: each custodian by name, each bidder waiting, no price.
    await page.goto(f"{live_server}/center/lots/{past.id}/opening")
    assert past.custody is not None
    async with rt.sessionmaker() as session:
        names = [
            (await session.get(User, uid)).display_name  # type: ignore[union-attr]
            for uid in past.custody["custodians"]
        ]
    custodians = await page.inner_text("#custodians")
    assert all(name in custodians for name in names) and "未释放" in custodians
    assert await page.locator("#bidders tr[data-org-id]").count() == 3
    bidders = await page.inner_text("#bidders")
    assert "待解密" in bidders and "9,100,000" not in bidders
    assert await page.inner_text("#threshold") == "0 / 2"
    await page.click("#remind-form button")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert "6" in await page.inner_text("#done")
