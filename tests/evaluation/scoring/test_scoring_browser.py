"""Chromium, as a drawn expert: sign in, open the lot from the evaluation room, declare no
conflict, decide qualification, score every criterion of every bid and submit."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from evaluation.scoring import service as scoring
from tests.bidding.participation.test_desk_browser import sign_in
from tests.evaluation.scoring.conftest import World
from trading.kernel.runtime import Runtime

WAIT_MS = 30_000


@pytest.mark.browser
async def test_an_expert_declares_scores_and_submits(
    rt: Runtime, world: World, browser: Browser, live_server: str
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    await sign_in(page, live_server, world.usernames[1])
    await page.goto(f"{live_server}/")
    await page.click("nav.site-nav a[href='/expert']")
    await page.click(f"#committees tr[data-lot='{world.lot_id}'] a")
    await page.wait_for_selector("#declare-form", timeout=WAIT_MS)
    assert await page.locator("section.bid").count() == 0  # nothing before the declaration
    await page.click("#declare")
    await page.wait_for_selector("#sheet-form", timeout=WAIT_MS)
    bids = page.locator("section.bid")
    assert await bids.count() == 4
    for i in range(4):
        section = bids.nth(i)
        await section.locator("input[value=pass]").check()
        await section.locator("tr[data-criterion=tech] input[type=number]").fill(str(30 + i))
        await section.locator("tr[data-criterion=tech] input[type=text]").fill("方案完整")
        await section.locator("tr[data-criterion=svc] input[type=number]").fill("15.5")
    await page.click("#save")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert await page.locator("tr[data-criterion=svc] input[type=number]").first.input_value() == (
        "15.5"
    )
    await page.click("#submit")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    assert "已提交" in await page.inner_text("#done")
    assert await page.locator("#submit").count() == 0  # final for this expert
    async with rt.sessionmaker() as session:
        desk = await scoring.desk(session, world.seats[1], world.lot_id)
    assert desk.seat.sheet is not None and desk.seat.sheet.submitted_at is not None
    assert sorted(m["tech"]["score"] for m in desk.seat.sheet.scores.values()) == [
        "30", "31", "32", "33",
    ]  # fmt: skip
    await page.close()
