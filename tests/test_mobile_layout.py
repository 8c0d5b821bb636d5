"""Phones: at 375 px the portal, a lot's page, its opening hall, the record and a 404 page fit
the screen's width (no sideways scrolling), the header's title wraps between words (not one
character per line) and the 唱标 table scrolls inside its own box. A screenshot of each page
is kept in tmp_path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page

from bidding.opening.flows import run_opening
from bidhall.demo import release_shares
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

PHONE = {"width": 375, "height": 812}
WAIT_MS = 30_000


def screenshots(where: Path) -> int:
    return len(list(where.glob("*.png")))


async def fits(page: Page, name: str, shots: Path) -> None:
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], (name, widths)
    # The site's title: a few lines at most, each several characters wide.
    brand = await page.locator("header .brand").bounding_box()
    assert brand is not None and brand["height"] < 80 and brand["width"] > 150, (name, brand)


async def test_portal_lot_and_hall_fit_a_phone(
    browser: Browser,
    live_server: str,
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    tmp_path: Path,
) -> None:
    lot = await publish_lot(
        title="南宁市青秀区长湖路至民族大道段道路及配套管网改造提升工程施工总承包",
        lot_title="第1标段（道路、排水、照明及绿化）",
    )
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)

    context = await browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    page = await context.new_page()
    for lang in ("zh", "en"):
        await page.goto(f"{live_server}/?lang={lang}")
        await page.locator(f"a[href='/lots/{lot.id}']").first.wait_for()
        await fits(page, f"portal-{lang}", tmp_path)

        await page.goto(f"{live_server}/lots/{lot.id}")
        await fits(page, f"lot-{lang}", tmp_path)

        await page.goto(f"{live_server}/lots/{lot.id}/hall")
        # The record arrives over the stream: the wide table is on the page when measured.
        await page.locator("#record-rows tr").nth(2).wait_for(timeout=WAIT_MS)
        await fits(page, f"hall-{lang}", tmp_path)
        table = await page.evaluate(
            "() => { const t = document.getElementById('record');"
            " return [t.scrollWidth, t.clientWidth]; }"
        )
        assert table[0] > table[1], "the record table should scroll in its own box at 375 px"

        await page.goto(f"{live_server}/lots/{lot.id}/opening")
        await fits(page, f"record-{lang}", tmp_path)

        await page.goto(f"{live_server}/no/such/page")
        assert await page.locator("#error-home").is_visible()
        await fits(page, f"error-{lang}", tmp_path)
    assert screenshots(tmp_path) == 10
