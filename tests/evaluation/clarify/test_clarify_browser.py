"""Chromium, on an 暗标 lot: the chair asks a clarification of 投标人X with a deadline from the
committee's page; the bidder finds it from its workspace, answers with a file; the committee
reads the answer under the letter — no company name anywhere on the committee's pages."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser

from tests.bidding.participation.test_desk_browser import sign_in
from tests.evaluation.clarify.conftest import bid_of, letters, secrets_of
from tests.evaluation.scoring.conftest import World, declare
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

WAIT_MS = 30_000


@pytest.mark.browser
async def test_chair_asks_bidder_answers_in_the_browser(
    rt: Runtime, clock: FixedClock, anon_world: World, browser: Browser, live_server: str
) -> None:
    world = anon_world
    for n in range(2):
        await declare(rt, world, n, clock.now())
    found = await secrets_of(rt, world)
    target = await bid_of(rt, world, "bidder-2")
    letter = next(x for x, b in (await letters(rt, world)).items() if b == target)
    due = (clock.now() + timedelta(days=1)).astimezone(ZoneInfo(rt.settings.timezone))

    chair = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await chair.new_page()
    await sign_in(page, live_server, world.usernames[0])
    await page.goto(f"{live_server}/expert/lots/{world.lot_id}")
    await page.click("#clarifications-link")
    await page.wait_for_selector("#ask-form", timeout=WAIT_MS)
    await page.select_option("#f-bid", letter)
    await page.fill("#f-question", "请说明施工组织设计中的安全措施。")
    await page.fill("#f-answer_by", due.strftime("%Y-%m-%dT%H:%M"))
    await page.click("#ask")
    await page.wait_for_selector("#done", timeout=WAIT_MS)
    row = page.locator("#clarifications tr[data-state=sent]")
    assert f"投标人{letter}" in await row.inner_text()

    bidder = await browser.new_context(viewport={"width": 1280, "height": 1000})
    mine = await bidder.new_page()
    await sign_in(mine, live_server, "bidder-2")
    await mine.goto(f"{live_server}/bidder")
    await mine.click("#clarifications-link")
    card = mine.locator("section.clarification[data-state=sent]")
    await card.wait_for(timeout=WAIT_MS)
    assert "请说明施工组织设计中的安全措施。" in await card.inner_text()
    await card.locator("textarea[name=answer]").fill("安全措施见附件第2节。")
    await card.locator("input[type=file]").set_input_files(
        {"name": "安全措施.txt", "mimeType": "text/plain", "buffer": b"section 2"}
    )
    await card.locator("button.primary").click()
    await mine.wait_for_selector("#done", timeout=WAIT_MS)
    assert await mine.locator("section.clarification[data-state=answered]").count() == 1

    await page.reload()
    answered = page.locator("#clarifications tr[data-state=answered]")
    await answered.wait_for(timeout=WAIT_MS)
    assert "安全措施见附件第2节。" in await answered.inner_text()
    html = await page.content()
    assert not any(s in html for s in (*found.names, *found.usccs, "安全措施.txt"))
    await chair.close()
    await bidder.close()
