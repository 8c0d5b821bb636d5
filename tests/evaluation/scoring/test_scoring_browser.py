"""Chromium, as a drawn expert: sign in, open the lot from the evaluation room, declare no
conflict (signed with a key made in this browser), decide qualification, score every criterion
of every bid and submit; and sign the evaluation report with a dissent."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from evaluation.report import service as report
from evaluation.scoring import service as scoring
from evaluation.scoring import work
from tests.bidding.participation.test_desk_browser import sign_in
from tests.evaluation.scoring.conftest import World, declare, sheet_for
from trading.kernel.clock import FixedClock
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
    await page.wait_for_selector("#key-status[data-state=other]", timeout=WAIT_MS)
    await page.click("#key-generate")  # the declaration is signed with this browser's key
    await page.wait_for_selector("#key-status[data-state=ok]", timeout=WAIT_MS)
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


@pytest.mark.browser
async def test_an_expert_signs_the_declaration_and_the_report_in_the_browser(
    rt: Runtime, clock: FixedClock, world: World, browser: Browser, live_server: str
) -> None:
    """The key made in this browser (non-extractable, IndexedDB) signs the declaration and,
    after the chair finalises, the report with a dissent; the server verified both."""
    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    await sign_in(page, live_server, world.usernames[1])
    await page.goto(f"{live_server}/expert/lots/{world.lot_id}")
    # The platform holds a key of another device (the world's): make one in this browser.
    await page.wait_for_selector("#key-status[data-state=other]", timeout=WAIT_MS)
    assert await page.locator("#declare").is_disabled()
    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]", timeout=WAIT_MS)
    await page.click("#declare")
    await page.wait_for_selector("#sheet-form", timeout=WAIT_MS)
    mine = sheet_for(world, 1)
    async with rt.sessionmaker() as session:
        await work.save(session, world.seats[1], world.lot_id, *mine, now=clock.now(),
                           submit=True)  # fmt: skip
        sheet = (await scoring.seat(session, world.seats[1], world.lot_id)).sheet
        assert sheet is not None and sheet.declaration_key_id is not None
    for n in (0, 2, 3, 4):
        await declare(rt, world, n, clock.now())
        async with rt.sessionmaker() as session:
            await work.save(session, world.seats[n], world.lot_id, *sheet_for(world, n),
                               now=clock.now(), submit=True)  # fmt: skip
    async with rt.sessionmaker() as session:
        for seat in world.seats:
            flags = (await scoring.desk(session, seat, world.lot_id)).my_flags
            reasons = {f"{f.bid_id}/{f.criterion_id}": "依据评分标准" for f in flags}
            if reasons:
                await work.explain(session, seat, world.lot_id, reasons, now=clock.now())
        await report.finalise(session, world.seats[0], world.lot_id, now=clock.now(),
                              settings=rt.settings)  # fmt: skip

    await page.goto(f"{live_server}/expert/lots/{world.lot_id}/report")
    await page.wait_for_selector("#key-status[data-state=ok]", timeout=WAIT_MS)
    assert "评标报告" in await page.inner_text("h1")
    await page.fill("#dissent", "  对第三名的售后评分持不同意见  ")
    await page.click("#sign")
    await page.wait_for_selector("#my-signature", timeout=WAIT_MS)
    async with rt.sessionmaker() as session:
        view, _ = await report.member_view(session, world.seats[1], world.lot_id)
    row = next(r for r in view.signatures if r.position == 2)
    assert row.signed and row.dissent == "对第三名的售后评分持不同意见"
    assert row.key_id in await page.inner_text("#my-signature")
    await page.close()
