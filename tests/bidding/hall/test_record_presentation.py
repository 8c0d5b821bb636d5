"""The opening record as a center publishes it: 开标时间 is the opening (the bid deadline), not
the moment the platform signed the record; every price-form column is shown, amounts with
separators and in capital numerals (大写); one time format in the center's zone on the page,
in the PDF and in the page's script."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser

from bidding.hall.service import record_view
from bidding.opening.flows import run_opening
from bidhall.demo import release_shares
from tests.bidding.hall.test_hall_pdf import pdf_text
from tests.support.clients import Client, bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\+00:00")


def signed(rows: list[dict[str, Any]], control: str | None = "9500000.00") -> dict[str, Any]:
    return {
        "record": {
            "lot_id": 1,
            "lot": "450100-2026-00001/1",
            "opened_at": "2026-03-23T01:05:00.123456+00:00",
            "control_price": control,
            "rows": rows,
        },
        "signature": "sig",
        "key_id": "k",
    }


def row(price: str | None, form: dict[str, Any], outcome: str = "decrypted") -> dict[str, Any]:
    return {
        "bidder": "某公司",
        "uscc": "91450100MA00000001",
        "price": price,
        "price_form": form,
        "sha256": "ab" * 32,
        "outcome": outcome,
        "cause": None if outcome == "decrypted" else "price: not a decimal",
    }


def test_every_price_form_column_is_shown_and_formatted() -> None:
    view = record_view(
        signed(
            [
                row(
                    "9100000.5",
                    {
                        "price": "9100000.5",
                        "currency": "CNY",
                        "duration_days": 180,
                        "quality": "合格",
                        "warranty_months": 24,
                    },
                ),
                row(
                    "8950000",
                    {
                        "price": "8950000",
                        "currency": "USD",
                        "duration_days": 150,
                        "quality": "优良",
                        "team": {"pm": "张三"},
                    },
                ),
                row(None, {"price": "九百万", "duration_days": 200, "quality": "合格"}, "revoked"),
            ]
        ),
        zone="Asia/Shanghai",
        opening_at=datetime(2026, 3, 23, 1, 0, tzinfo=UTC),
    )
    keys = [c.key for c in view.columns]
    assert keys[:4] == ["price", "price_capital", "duration_days", "quality"]
    # A currency other than CNY gets its column; every extra key of any form follows.
    assert keys[4:] == ["currency", "warranty_months", "team"]
    assert [c.zh for c in view.columns][5] == "质保期(月)"
    first, second, revoked = (r.cells for r in view.rows)
    assert first["price"] == "9,100,000.50" and first["price_capital"] == "玖佰壹拾万元伍角"
    assert second["price"] == "8,950,000.00" and second["price_capital"] == "捌佰玖拾伍万元整"
    assert second["currency"] == "USD" and first["warranty_months"] == "24"
    assert second["team"] == '{"pm":"张三"}' and second["warranty_months"] == "—"
    assert first["duration_days"] == "180" and second["quality"] == "优良"
    # An unusable price is not published as an amount.
    assert revoked["price"] == "—" and revoked["price_capital"] == "—"
    assert view.opening_at == "2026-03-23 09:00:00" and view.signed_at == "2026-03-23 09:05:00"
    assert view.control_price == "9,500,000.00"
    assert view.control_price_capital == "玖佰伍拾万元整"


def test_all_cny_needs_no_currency_column_and_no_control_price_is_a_dash() -> None:
    view = record_view(
        signed(
            [row("1", {"price": "1", "currency": "CNY", "duration_days": 1, "quality": "q"})],
            control=None,
        ),
        zone="Asia/Shanghai",
        opening_at=None,
    )
    assert "currency" not in [c.key for c in view.columns]
    assert view.control_price == view.control_price_capital == view.opening_at == "—"


async def test_record_page_shows_the_opening_time_and_formatted_columns(
    opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot(title="开标记录展示测试工程")
    r = await client.get(f"/lots/{lot.id}/opening", headers=HTML)
    assert r.status_code == 200, r.text
    html = r.text
    assert not ISO.search(html), ISO.search(html)
    opening = re.search(r'id="opening-at">([^<]+)<', html)
    signed_at = re.search(r'id="signed-at">([^<]+)<', html)
    assert opening and opening.group(1).startswith("2026-03-23 09:00:00")  # the deadline
    assert signed_at and signed_at.group(1) == "2026-03-23 09:05:00"  # when it was signed
    assert 'id="started-at"' not in html  # decryption started on time: nothing more to say
    for price, words in (
        ("9,100,000.00", "玖佰壹拾万元整"),
        ("8,950,000.00", "捌佰玖拾伍万元整"),
        ("9,230,000.00", "玖佰贰拾叁万元整"),
    ):
        assert price in html and words in html
    assert "9,500,000.00" in html and "玖佰伍拾万元整" in html
    for header in ("投标报价(元)", "投标报价(大写)", "工期(日历天)", "质量"):
        assert header in html
    cells = re.findall(r'<td class="num" data-key="duration_days">(\d+)</td>', html)
    assert cells == ["180", "180", "180"]
    english = await client.get(f"/lots/{lot.id}/opening?lang=en", headers=HTML)
    assert "Opening time" in english.text and "Record signed" in english.text
    assert "Bid price in words" in english.text


async def test_pdf_prints_the_opening_time_as_kaibiao_shijian(
    opened_lot: Any, client: Client, tmp_path: Path
) -> None:
    lot = await opened_lot(title="开标记录时间测试工程")
    r = await client.get(f"/lots/{lot.id}/opening.pdf")
    assert r.status_code == 200, r.text
    text = pdf_text(r.content, tmp_path)
    lines = text.splitlines()
    opening = next(line for line in lines if line.strip().startswith("开标时间 "))
    assert "2026-03-23 09:00:00" in opening and "09:05" not in opening, opening
    signed_line = next(line for line in lines if "记录签署时间" in line)
    assert "2026-03-23 09:05:00" in signed_line, signed_line
    for words in ("玖佰壹拾万元整", "捌佰玖拾伍万元整", "玖佰贰拾叁万元整", "玖佰伍拾万元整"):
        assert words in text.replace(" ", "").replace("\n", ""), words
    assert "工期(日历天)" in text and "合格" in text
    assert not ISO.search(text)


ONE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


async def test_scripts_print_times_in_the_one_format(
    opened_lot: Any, client: Client, browser: Browser, live_server: str
) -> None:
    """The record page's and the hall's scripts print times as the server does (center's zone,
    ``2026-03-23 09:35:00``), not the browser locale's ``2026/3/23 09:35:00``."""
    lot = await opened_lot()
    objection = await client.post(
        f"/api/v1/lots/{lot.id}/opening/objections",
        json={"text": "请核实报价"},
        headers=await bearer(client, "bidder-2"),
    )
    assert objection.status_code == 201, objection.text
    page = await browser.new_page(locale="zh-CN")
    await page.goto(f"{live_server}/lots/{lot.id}/opening")
    await page.wait_for_selector("#record-responses[data-ready=true]", timeout=30_000)
    window = (await page.locator("#record-window").inner_text()).split("：", 1)[1]
    assert window == "2026-03-23 09:35:00", window
    first_cell = await page.locator("#record-responses tbody tr td").first.inner_text()
    assert ONE_FORMAT.match(first_cell), first_cell
    await page.goto(f"{live_server}/lots/{lot.id}/hall")
    await page.locator("#window-end").wait_for(state="attached")
    await page.wait_for_function(
        "() => document.getElementById('window-end').textContent.length > 0", timeout=30_000
    )
    assert await page.locator("#window-end").inner_text() == "2026-03-23 09:35:00"
    prices = await page.locator("#record-rows td.num").all_inner_texts()
    assert "9,100,000.00" in prices, prices


async def test_a_late_start_is_shown_beside_the_opening_time(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, client: Client
) -> None:
    """The platform was down at the deadline: 开标时间 stays the deadline, and the record says
    when decryption actually started (the start-up reconciliation ran it two hours late)."""
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline + timedelta(hours=2))
    await run_opening(rt, lot.id)
    await release_shares(rt, lot.id, lambda _m: None)
    html = (await client.get(f"/lots/{lot.id}/opening", headers=HTML)).text
    assert re.search(r'id="opening-at">2026-03-23 09:00:00', html)
    assert re.search(r'id="started-at">2026-03-23 11:00:00<', html)
    assert re.search(r'id="signed-at">2026-03-23 11:00:00<', html)
