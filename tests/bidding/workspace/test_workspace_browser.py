"""A real browser (Debian's chromium via Playwright) on the real server: center staff register a
project with a wrong date, read the rule's citation next to the field, fix it, save, publish it
from the lot desk, and see the lot announced. Every page runs under the strict CSP."""

from __future__ import annotations

from playwright.async_api import Browser

from bidhall.demo import DEMO_PASSWORD, demo_uscc

WAIT_MS = 30_000


async def test_staff_register_fix_save_and_publish(browser: Browser, live_server: str) -> None:
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(live_server + "/login")
    await page.fill("input[name=username]", "staff-450100")
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form button.primary")
    await page.wait_for_load_state()
    await page.goto(live_server + "/center")
    assert "450100" in await page.locator("h1").inner_text()
    await page.get_by_role("link", name="登记项目").click()
    await page.wait_for_url("**/center/projects/new")

    await page.fill("#f-title", "浏览器登记道路工程")
    await page.fill("#f-tenderer_uscc", demo_uscc(1))
    await page.locator("#f-location").click()  # leaving the field looks the code up
    await page.wait_for_function(
        "() => document.getElementById('tenderer-name').textContent.includes('：')"
    )
    await page.fill("#f-location", "南宁市江南区")
    await page.fill("#f-contact_name", "张工")
    await page.fill("#f-lots-0-lot_title", "第1标段")
    await page.fill("#f-lots-0-budget", "9800000")
    await page.fill("#f-lots-0-control_price", "9500000")
    await page.fill("#f-lots-0-bid_security", "95000")
    # T0 is 2026-03-02 09:00 in Shanghai: ten days to the deadline where the law wants twenty.
    await page.fill("#f-lots-0-docs_issued_at", "2026-03-02T10:00")
    await page.fill("#f-lots-0-bid_deadline", "2026-03-12T10:00")
    await page.click("#save")
    await page.wait_for_load_state()
    error = page.locator('.field-error[data-field="lots-0-bid_deadline"]')
    await error.first.wait_for()
    assert "招标投标法 第24条" in await error.first.inner_text()
    # The message sits with its field: inside the same block as the deadline input.
    field = page.locator("div.field", has=page.locator("#f-lots-0-bid_deadline"))
    assert "招标投标法 第24条" in await field.inner_text()
    assert await page.input_value("#f-title") == "浏览器登记道路工程"  # nothing typed is lost

    await page.fill("#f-lots-0-bid_deadline", "2026-03-24T10:00")
    await page.click("#save")
    await page.wait_for_url("**/center/lots/*?done=saved")
    assert await page.locator("#lot-state").inner_text() == "草稿"
    assert "符合发布规则" in await page.locator("#rule-check").inner_text()

    await page.click("#publish")
    await page.wait_for_url("**/center/lots/*?done=published")
    assert await page.locator("#lot-state").inner_text() == "招标公告中"
    assert await page.locator("#publish").count() == 0
