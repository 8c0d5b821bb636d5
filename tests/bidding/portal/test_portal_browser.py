"""A real browser (Debian's chromium via Playwright) on the real server: the portal shows lots."""

from __future__ import annotations

from typing import Any

import pytest
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


@pytest.mark.browser
async def test_browse_a_channel_page_through_it_and_open_a_lot(
    browser: Browser, live_server: str, publish_lot: Any
) -> None:
    lots = [await publish_lot(title=f"频道浏览工程{n:02d}") for n in range(25)]
    page = await browser.new_page()
    await page.goto(live_server + "/")
    # The home page's block of the tender channel lists the latest; its tab opens the channel.
    assert await page.locator("#channel-tender li[data-announcement-id]").count() == 6
    await page.locator(".channel-tabs").first.get_by_role("link", name="招标公告").click()
    await page.wait_for_url("**/announcements?kind=tender")
    assert await page.locator("#channel-name").inner_text() == "招标公告"
    assert await page.locator("#pager .pager-total").inner_text() == "共 25 条"
    first = await page.locator("#announcements tbody tr[data-announcement-id]").count()
    assert first == 20
    await page.locator("#pager a[rel=next]").click()
    await page.wait_for_url("**page=2**")
    rows = page.locator("#announcements tbody tr[data-announcement-id]")
    assert await rows.count() == 5
    assert "第 2/2 页" in await page.locator("#pager").inner_text()
    # The oldest lot is last: its row links to its lot page.
    oldest = lots[0]
    row = rows.filter(has_text="频道浏览工程00")
    await row.locator(f"a[href='/lots/{oldest.id}']").click()
    await page.wait_for_url(f"**/lots/{oldest.id}")
    assert await page.locator("#lot-state").inner_text() == "招标公告中"
    assert "广西交通投资建设集团有限公司" in await page.locator("#lot-tenderer").inner_text()
    assert await page.locator("#lot-announcements a[href^='/announcements/']").count() == 1
