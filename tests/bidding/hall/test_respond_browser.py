"""Chromium: in the hall a bidder confirms or objects, not both (条例 44). Its objection hides
both buttons until the center answers; the answer, arriving live, offers the confirmation;
once confirmed, nothing more can be sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from tests.bidding.hall.test_hall_browser import WAIT_MS, sign_in
from tests.support.clients import bearer
from trading.projects.models import Lot


@pytest.mark.browser
async def test_object_then_confirm_after_the_answer(
    opened_lot: Any, browser: Browser, live_server: str
) -> None:
    lot: Lot = await opened_lot(title="确认或异议浏览器测试工程")
    page = await browser.new_page(viewport={"width": 1280, "height": 1100})
    page.set_default_timeout(WAIT_MS)
    await sign_in(page, live_server, "bidder-2")
    await page.goto(f"{live_server}/lots/{lot.id}/hall")
    await page.wait_for_selector("#respond:not([hidden])")
    assert await page.locator("#confirm-row").is_visible()
    assert await page.locator("#object-row").is_visible()
    assert "第44条" in await page.locator("#respond").inner_text()

    await page.fill("#objection-text", "请核实本单位投标报价的唱标金额")
    await page.click("#object-btn")
    await page.wait_for_selector("#respond-state:has-text('异议待答复')")
    assert not await page.locator("#confirm-row").is_visible()
    assert not await page.locator("#object-row").is_visible()

    async with httpx.AsyncClient(base_url=live_server) as http:
        staff = await bearer(http, "staff-450100")
        listed = (await http.get(f"/api/v1/lots/{lot.id}/opening/responses")).json()
        objection = listed["responses"][0]["id"]
        r = await http.post(
            f"/api/v1/lots/{lot.id}/opening/objections/{objection}/answer",
            json={"text": "经核对，唱标金额与投标文件一致。"},
            headers=staff,
        )
        assert r.status_code == 200, r.text
    await page.wait_for_selector("#respond-state:has-text('可确认开标记录')")
    assert await page.locator("#confirm-row").is_visible()
    assert not await page.locator("#object-row").is_visible()

    await page.click("#confirm-btn")
    await page.wait_for_selector("#respond-state:has-text('贵方已确认开标记录')")
    assert not await page.locator("#confirm-row").is_visible()
    assert not await page.locator("#object-row").is_visible()
    assert await page.locator("#respond-error").inner_text() == ""
