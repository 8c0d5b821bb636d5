"""Three demo experts evaluate an opened lot in three browser contexts (issue 12): each signs in,
makes a key in its browser, signs the no-conflict declaration and scores; one marks a score far
from the others' and must give its reason; the chair sees who has submitted but no one's numbers
until all have, and finalises; every member signs the report; staff rank the lot from the
committee's scores; the report's PDF carries the right Chinese text. The committee's other two
members act through the same services off the page. Every page runs under the strict CSP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from bidding.opening.flows import run_opening
from bidding.queries import opened_bids
from bidhall.demo import committee as demo_committee
from bidhall.demo import release_shares
from bidhall.demo.experts import seed_experts
from evaluation.award.service import latest_result
from evaluation.offline import evaluate_document
from evaluation.report import service as reports
from evaluation.scoring import work
from tests.bidding.hall.test_hall_pdf import pdf_text
from tests.bidding.participation.test_desk_browser import sign_in
from trading.enums import Category, LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

WAIT_MS = 30_000
TITLE = "专家远程评标旅程测试工程"
REASON = "踏勘表明方案不可行"  # short: a table cell of the PDF holds it on one line
SECRET = "秘密评语"  # in the off-page members' comments: the chair must never see them


def marks(position: int, bid_no: int, deviate: bool = False) -> dict[str, str]:
    """One member's marks for the bid_no-th bid: the same for everyone but `deviate`."""
    return {
        "plan": "4" if deviate else str(17 - bid_no),
        "team": "8.5",
        "safety": str(9 - bid_no),
    }


async def open_desk(page: Page, base: str, username: str, lot_id: int) -> None:
    """Sign in, reach the lot from the evaluation room, make a key here, declare (signed)."""
    await sign_in(page, base, username)
    await page.goto(f"{base}/expert")
    await page.click(f"#committees tr[data-lot='{lot_id}'] a")
    await page.wait_for_selector("#declare-form", timeout=WAIT_MS)
    assert await page.locator("section.bid").count() == 0  # nothing before the declaration
    # The platform holds the key of the expert's other machine: this browser makes its own.
    await page.wait_for_selector("#key-status[data-state=other]", timeout=WAIT_MS)
    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]", timeout=WAIT_MS)
    await page.click("#declare")
    await page.wait_for_selector("#sheet-form", timeout=WAIT_MS)


async def fill(page: Page, position: int, comment: str, deviate: bool = False) -> None:
    bids = page.locator("section.bid")
    assert await bids.count() == 3
    for i in range(3):
        section = bids.nth(i)
        await section.locator("input[value=pass]").check()
        for cid, value in marks(position, i, deviate and i == 0).items():
            row = section.locator(f"tr[data-criterion={cid}]")
            await row.locator("input[type=number]").fill(value)
            await row.locator("input[type=text]").fill(comment)


async def press(page: Page, selector: str) -> None:
    await page.click(selector)
    await page.wait_for_load_state()


async def off_page_member(rt: Runtime, member: Any, lot_id: int, bid_ids: list[str]) -> None:
    """A member who works through the API's service (its derived demo key signs)."""
    position = member.seat.position
    qualification = {b: {"pass": True, "reason": ""} for b in bid_ids}
    scores = {
        b: {
            c: {"score": v, "comment": f"{SECRET}-{position}"}
            for c, v in marks(position, i).items()
        }
        for i, b in enumerate(bid_ids)
    }
    async with rt.sessionmaker() as session:
        await demo_committee.declare(session, member, lot_id, rt)
        await work.save(
            session, member.actor, lot_id, qualification, scores, now=rt.clock.now(), submit=True
        )


@pytest.mark.browser
async def test_three_experts_evaluate_in_three_browsers(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    browser: Browser,
    live_server: str,
    tmp_path: Path,
) -> None:
    await seed_experts(rt, clock.now())
    lot = await publish_lot(
        title=TITLE, evaluation_params=demo_committee.scoring_params(Category.CONSTRUCTION)
    )
    await demo_committee.draw(rt, lot.id, "450100", Category.CONSTRUCTION)
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    members = await demo_committee.members(rt, lot.id)
    assert len(members) == 5
    chair, second, third, *off_page = members
    async with rt.sessionmaker() as session:
        bid_ids = sorted({str(b.bid_id) for b in await opened_bids(session, lot.id)}, key=int)

    pages: dict[str, Page] = {}
    for member in (chair, second, third):
        context = await browser.new_context(viewport={"width": 1280, "height": 1000})
        page = await context.new_page()
        await open_desk(page, live_server, member.user.username, lot.id)
        pages[member.user.username] = page
    p1, p2, p3 = (pages[m.user.username] for m in (chair, second, third))

    for member in off_page:
        await off_page_member(rt, member, lot.id, bid_ids)
    await fill(p3, third.seat.position, "方案完整")
    await press(p3, "#submit")
    assert "已提交" in await p3.inner_text("#done")
    await fill(p2, second.seat.position, "专家二评语", deviate=True)
    await press(p2, "#save")  # a draft, not submitted
    await fill(p1, chair.seat.position, "主任评语")
    await press(p1, "#submit")

    # The chair: who has submitted, never the numbers; no finalising before everyone has.
    progress = await p1.inner_text("#progress")
    assert "已提交" in progress and "评审中" in progress
    assert "已提交" not in await p1.inner_text(
        f"#progress li[data-position='{second.seat.position}']"
    )
    assert await p1.locator("#finalise").count() == 0
    seen = await p1.content()
    assert SECRET not in seen and "专家二评语" not in seen
    api = await p1.request.get(f"{live_server}/api/v1/expert/lots/{lot.id}")
    assert api.ok and SECRET not in await api.text() and "专家二评语" not in await api.text()

    # The second expert submits; its far-off mark needs a written reason before finalising.
    await p2.reload()
    await press(p2, "#submit")
    await p2.wait_for_selector("#deviations-form", timeout=WAIT_MS)
    flagged = p2.locator("#deviations-form [data-flag]")
    assert await flagged.count() == 1
    assert await flagged.get_attribute("data-flag") == f"{bid_ids[0]}/plan"
    await p1.reload()
    assert await p1.locator("#outstanding").count() == 1
    await press(p1, "#finalise")
    assert "书面理由" in await p1.inner_text("#error")
    await flagged.locator("input").fill(REASON)
    await press(p2, "#deviations-form button")
    assert "偏离说明已保存" in await p2.inner_text("#done")
    await p1.goto(f"{live_server}/expert/lots/{lot.id}")
    await press(p1, "#finalise")
    assert p1.url.endswith(f"/expert/lots/{lot.id}/report?done=finalised")  # the report is built
    await p2.goto(f"{live_server}/expert/lots/{lot.id}")
    await p2.wait_for_selector("#finalised", timeout=WAIT_MS)
    assert await p2.locator("#submit, #deviations-form button").count() == 0  # nothing changes

    # Every member signs the report: three in their browsers, two off the page.
    for page in (p1, p2, p3):
        await page.goto(f"{live_server}/expert/lots/{lot.id}/report")
        await page.wait_for_selector("#key-status[data-state=ok]", timeout=WAIT_MS)
        await press(page, "#sign")
        await page.wait_for_selector("#my-signature", timeout=WAIT_MS)
    await demo_committee.sign_report(rt, lot.id, off_page)
    async with rt.sessionmaker() as session:
        view, _ = await reports.member_view(session, chair.actor, lot.id)
    assert view.complete

    # Staff hand the lot over: it is ranked from the committee's scores.
    staff_page = await (await browser.new_context()).new_page()
    await sign_in(staff_page, live_server, "staff-450100")
    await staff_page.goto(f"{live_server}/center/lots/{lot.id}/evaluation")
    await press(staff_page, "#evaluate-form button")
    await staff_page.wait_for_selector("#ranking", timeout=WAIT_MS)
    assert await staff_page.locator("#ranking tbody tr").count() == 3
    async with rt.sessionmaker() as session:
        result = await latest_result(session, lot.id)
    assert result is not None and evaluate_document(result.input_doc) == result.ranking
    by_id = {b["bid_id"]: b for b in result.input_doc["bids"]}
    seat = [m.seat.position for m in members].index(second.seat.position)
    assert by_id[bid_ids[0]]["technical_scores"]["plan"][seat] == "4"

    # The report's PDF, as the chair downloads it: Chinese text extracted from the font.
    pdf = await p1.request.get(f"{live_server}/expert/lots/{lot.id}/report.pdf")
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    text = pdf_text(await pdf.body(), tmp_path)
    flat = "".join(text.split())
    for expected in ("评标报告", TITLE, "偏离评分及书面理由", REASON, "全体成员已签署，报告完成。"):
        assert expected in flat, expected
    assert all(m.user.display_name in flat for m in members)
