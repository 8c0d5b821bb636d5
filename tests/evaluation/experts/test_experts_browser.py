"""Chromium, as staff-450100: import the expert pool from a CSV file on the pool page, draw a
published lot's committee from its committee tab, and record one member's decline, seeing the
replacement seated."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from evaluation.experts.models import Committee
from tests.bidding.participation.test_desk_browser import sign_in
from tests.evaluation.experts.test_pool_and_committee import pool_csv
from trading.kernel.runtime import Runtime

WAIT_MS = 30_000


@pytest.mark.browser
async def test_staff_imports_the_pool_draws_and_replaces_a_member(
    rt: Runtime, publish_lot: Any, browser: Browser, live_server: str
) -> None:
    lot = await publish_lot(title="评标专家抽取浏览器测试工程")
    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    await sign_in(page, live_server, "staff-450100")

    await page.goto(f"{live_server}/center/experts")
    await page.set_input_files(
        "#import-form input[name=file]",
        files=[{"name": "专家库.csv", "mimeType": "text/csv", "buffer": pool_csv(12).encode()}],
    )
    await page.click("#import-form button.primary")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert "新增 12 名" in await page.inner_text("#done")
    assert "E0012" in await page.inner_text("#experts")

    # The committee tab: the lawful size and its rule, then the draw.
    await page.goto(f"{live_server}/center/lots/{lot.id}")
    await page.click("nav.tabs a[href$='/committee']")
    await page.wait_for_selector("#draw-form", timeout=WAIT_MS)
    assert "第37条" in await page.inner_text("#committee-rule")
    rows = page.locator("#demand tbody tr")
    await rows.nth(0).locator("input[name=specialty]").fill("B02")
    await rows.nth(0).locator("input[name=count]").fill("2")
    await rows.nth(1).locator("input[name=specialty]").fill("A01")
    await rows.nth(1).locator("input[name=count]").fill("3")
    await page.click("#draw-form button.primary")
    await page.wait_for_selector("#members", timeout=WAIT_MS)
    async with rt.sessionmaker() as session:
        committee = await session.scalar(select(Committee).where(Committee.lot_id == lot.id))
    assert committee is not None
    assert await page.inner_text("#seed-sha256") == committee.seed_sha256
    assert await page.locator("#members tr.seated").count() == 5

    # One member declines: the reason is kept and the next ticket is seated.
    first = page.locator("#members tr.seated").first
    code = await first.get_attribute("data-code")
    await first.locator("input[name=reason]").fill("出差在外，无法参加")
    await first.locator("button.primary").click()
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    declined = page.locator(f"#members tr[data-code='{code}']")
    assert "出差在外，无法参加" in await declined.inner_text()
    assert await declined.get_attribute("class") == "declined"
    assert await page.locator("#members tr.seated").count() == 5
    assert await page.locator("#members tbody tr").count() == 6
    await page.close()
