"""A real browser (Debian's chromium via Playwright) on the real server: the portal shows lots."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser


async def test_portal_shows_published_lot_and_its_page(
    browser: Browser, live_server: str, publish_lot: Any
) -> None:
    lot = await publish_lot(title="浏览器测试道路工程")
    page = await browser.new_page()
    await page.goto(live_server + "/")
    row = page.locator(f"tr[data-lot-id='{lot.id}']")
    await row.wait_for()
    assert "浏览器测试道路工程" in await row.inner_text()
    assert "招标公告中" in await row.inner_text()
    await row.get_by_role("link").click()
    await page.wait_for_url(f"**/lots/{lot.id}")
    assert await page.locator("#lot-state").inner_text() == "招标公告中"
    # The English switch is a real link that sticks for the next pages.
    await page.get_by_role("link", name="English").click()
    await page.wait_for_load_state()
    assert "Announced" in await page.locator("#lot-state").inner_text()


async def test_filters_narrow_the_list(
    browser: Browser, live_server: str, publish_lot: Any
) -> None:
    await publish_lot(title="南宁项目甲")
    await publish_lot(title="柳州项目乙", center="450200")
    page = await browser.new_page()
    await page.goto(live_server + "/")
    await page.select_option("select[name=center]", "450200")
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url("**center=450200**")
    text = await page.locator("#lots").inner_text()
    assert "柳州项目乙" in text and "南宁项目甲" not in text
