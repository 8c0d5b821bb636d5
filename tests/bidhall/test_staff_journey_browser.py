"""A new center staff member runs a tender from registration to award in the browser (issue 11):
register with a wrong date → the rule's citation by the field → fix → publish → upload a
document → amend → answer a question → start the opening → hand over → publicity → award,
and each announcement appears in its channel of the public portal. Bidders, custodians and the
clock act off the page (their own workspaces are tested elsewhere); every page the staff member
sees runs under the strict CSP."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from playwright.async_api import Browser, Page

from bidhall.demo import DEMO_PASSWORD, demo_uscc
from bidhall.demo.steps import release_shares, submit_bids
from tests.conftest import PRICES
from tests.support.clients import bearer
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

WAIT_MS = 30_000
TITLE = "浏览器全流程道路工程"


async def sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form button.primary")
    await page.wait_for_url(base + "/")


async def tab(page: Page, name: str) -> None:
    await page.click(f"nav.tabs a[href$='/{name}']")
    await page.wait_for_load_state()
    if "/login" in page.url:  # days passed: the session expired; signing in returns here
        await page.fill("input[name=username]", "staff-450100")
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("form button.primary")
        await page.wait_for_url(f"**/{name}")


async def channel(page: Page, base: str, kind: str) -> str:
    await page.goto(f"{base}/announcements?kind={kind}")
    return await page.inner_text("main")


async def test_a_staff_member_runs_a_tender_from_registration_to_award(
    rt: Runtime, clock: FixedClock, browser: Browser, live_server: str
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    await sign_in(page, live_server, "staff-450100")

    # Register: a deadline ten days after issue, where the law wants twenty.
    await page.goto(live_server + "/center")
    await page.get_by_role("link", name="登记项目").click()
    await page.wait_for_url("**/center/projects/new")
    await page.fill("#f-title", TITLE)
    await page.fill("#f-tenderer_uscc", demo_uscc(1))
    await page.fill("#f-location", "南宁市江南区")
    await page.fill("#f-contact_name", "张工")
    await page.fill("#f-lots-0-lot_title", "第1标段")
    await page.fill("#f-lots-0-budget", "9800000")
    await page.fill("#f-lots-0-control_price", "9500000")
    await page.fill("#f-lots-0-bid_security", "95000")
    await page.fill("#f-lots-0-docs_issued_at", "2026-03-02T10:00")
    await page.fill("#f-lots-0-bid_deadline", "2026-03-12T10:00")
    await page.click("#save")
    field = page.locator("div.field", has=page.locator("#f-lots-0-bid_deadline"))
    await page.locator('.field-error[data-field="lots-0-bid_deadline"]').first.wait_for()
    assert "招标投标法 第24条" in await field.inner_text()
    await page.fill("#f-lots-0-bid_deadline", "2026-03-24T10:00")
    await page.click("#save")
    await page.wait_for_url("**/center/lots/*?done=saved")
    lot_id = int(re.search(r"/center/lots/(\d+)", page.url)[1])  # type: ignore[index]
    await page.click("#publish")
    await page.wait_for_url("**/center/lots/*?done=published")
    assert await page.locator("#lot-state").inner_text() == "招标公告中"

    # Three bidders register; one asks a question.
    async with httpx.AsyncClient(base_url=live_server) as api:
        for username in PRICES:
            headers = await bearer(api, username)
            r = await api.post(f"/api/v1/lots/{lot_id}/registration", headers=headers)
            assert r.is_success, r.text
        asked = await api.post(
            f"/api/v1/lots/{lot_id}/questions", json={"text": "工期能否延长？"}, headers=headers
        )
        assert asked.status_code == 201, asked.text

    # A tender document and an amendment, then the answer.
    await tab(page, "documents")
    content = b"%PDF-1.7 tender documents of the journey"
    await page.set_input_files(
        "#upload-form input[name=file]",
        files=[{"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": content}],
    )
    await page.click("#upload-form button.primary")
    await page.wait_for_selector("#done")
    await page.fill("#amend-form input[name=title]", "关于开标方式的澄清")
    await page.fill("#amend-form textarea[name=body]", "开标改为全流程网上进行。")
    await page.click("#amend-form button.primary")
    await page.wait_for_selector("#done")
    await tab(page, "questions")
    await page.fill(".answer-form textarea[name=text]", "工期不可延长。")
    await page.click(".answer-form button.primary")
    await page.wait_for_selector("#done")
    assert await page.inner_text("#unanswered") == "0"

    # Sealed bids arrive; the deadline passes; staff start the opening; custodians release.
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
    await submit_bids(rt, lot, PRICES, lambda _m: None)
    clock.set(lot.bid_deadline + timedelta(seconds=1))
    await tab(page, "opening")
    await page.click("#start-form button.primary")
    await page.wait_for_selector("#done")
    assert await release_shares(rt, lot_id, lambda _m: None) == LotState.OPENED

    # Hand over to evaluation, publicity, and after it the award.
    await tab(page, "evaluation")
    await page.click("#evaluate-form button.primary")
    await page.wait_for_selector("#ranking")
    await page.click("#candidates-form button.primary")
    await page.wait_for_selector("#publicity-ends")
    assert await page.locator("#award-form button").is_disabled()
    clock.advance(timedelta(days=4))
    await tab(page, "evaluation")
    await page.click("#award-form button.primary")
    await page.wait_for_selector("#awarded")

    # Every announcement of the tender is in its public channel.
    for kind in ("tender", "amendment", "candidates", "result"):
        assert TITLE in await channel(page, live_server, kind), kind
    await page.goto(f"{live_server}/lots/{lot_id}")
    body = await page.inner_text("main")
    assert "工期不可延长。" in body and "关于开标方式的澄清" in body
    assert "南宁市江南区" in body and "张工" in body
