"""Chromium: a losing bidder finds its result from its workspace — 未中标, the reason its bid
was rejected — and downloads its 中标结果通知书 (a PDF), under the strict CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from bidhall.demo import DEMO_PASSWORD
from tests.evaluation.outcome.test_bidder_result import REASON, opened, staff_does
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

WAIT_MS = 30_000


@pytest.mark.browser
async def test_a_losing_bidder_sees_why_and_downloads_its_letter(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, browser: Browser, live_server: str
) -> None:
    lot = await opened(rt, clock, publish_lot, bid, title="结果页浏览器测试工程")
    for step in ("evaluate", "candidates", "award"):
        await staff_does(rt, clock, step, lot.id)

    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(live_server + "/login")
    await page.fill("input[name=username]", "bidder-4")
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form button.primary")
    await page.wait_for_url(live_server + "/")

    await page.goto(live_server + "/bidder")
    row = page.locator(f"#my-lots tr[data-lot-id='{lot.id}']")
    assert "已中标" not in await row.inner_text()
    await row.locator("a.result-link").click()
    await page.wait_for_url(f"**/bidder/lots/{lot.id}/result")
    assert await page.locator("#won").inner_text() == "未中标"
    assert await page.locator("#qualified").inner_text() == "否决"
    assert REASON in await page.locator("#reasons").inner_text()
    assert "已中标" not in await page.locator("main").inner_text()

    async with page.expect_download() as download_info:
        await page.click("#letter")
    download = await download_info.value
    assert download.suggested_filename.endswith(".pdf")
    saved = Path(await download.path())
    assert saved.read_bytes().startswith(b"%PDF-")  # noqa: ASYNC240  (a small file, a test)
    await context.close()
