"""Issue 13, items 2 and 4, in Chromium: a bidder registers, downloads a tender document and
sees its digest verified, asks a question, lodges security, then seals with the confirmation
step — a 20-digit price and a price above the control price are refused before anything is
sealed or sent, a replacement without files must be confirmed — and downloads its receipt as
a PDF (the same bytes each time) and as the signed JSON."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Request
from sqlalchemy import func, select

from bidding.participation import service as participation
from bidding.participation.models import Question
from bidding.submission.models import Bid
from bidhall.demo.accounts import demo_user
from crypto.receipts import verify_receipt
from tests.bidding.submission.test_browser_sealing import sign_in
from trading.auth.service import actor_for
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

pytestmark = pytest.mark.browser

DOC = "招标文件正文：第1标段 施工范围与技术要求。".encode() * 200
FILE = "技术标：施工组织设计 ZX-77".encode()


async def add_document(rt: Runtime, lot: Lot) -> None:
    staff = actor_for(await demo_user(rt, "staff-450100"))

    async def chunks() -> Any:
        yield DOC

    staged = await rt.blobs.stage(chunks(), max_size=participation.MAX_DOCUMENT_BYTES)
    async with rt.sessionmaker() as session:
        await participation.add_document(
            session, lot.id, staff, "招标文件.pdf", staged, rt.blobs, now=rt.clock.now()
        )


async def bids(rt: Runtime, lot_id: int) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count(Bid.id)).where(Bid.lot_id == lot_id)))


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


async def review(page: Page, price: str) -> None:
    await page.fill("#price", price)
    await page.click("#seal-submit")


async def test_register_download_ask_and_seal_with_care(
    browser: Browser, live_server: str, rt: Runtime, publish_lot: Any, tmp_path: Path
) -> None:
    lot: Lot = await publish_lot(title="确认密封测试工程", enrol=())
    await add_document(rt, lot)
    page = await sign_in(browser, live_server, "bidder-1")
    sent: list[str] = []

    def watch(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/bids"):
            sent.append(request.url)

    page.on("request", watch)
    await page.goto(f"{live_server}/bidder/lots/{lot.id}")
    await page.wait_for_selector("body[data-ready=true]")
    # Not registered: the refusal and its rule are on the page; no download link yet.
    assert "电子招标投标办法 第24条" in await page.inner_text("#bid-refusal")
    assert await page.locator("#documents .doc-download").count() == 0

    # 报名 (a plain form), then download the document and see its digest verified here.
    await page.click("#register")
    await page.wait_for_selector("#part-done")
    async with page.expect_download() as got:
        await page.click("#documents .doc-verify")
    await page.wait_for_selector("#documents .doc-check[data-verified=true]")
    download = await got.value
    saved = tmp_path / "doc.pdf"
    await download.save_as(saved)
    assert saved.read_bytes() == DOC
    assert download.suggested_filename == "招标文件.pdf"

    # A question, listed as ours and awaiting an answer.
    await page.fill("#question-text", "是否允许联合体投标？")
    await page.click("#ask")
    await page.wait_for_selector("#my-questions li[data-answered=false]")
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(Question.text)) == "是否允许联合体投标？"

    # Still refused until the security is lodged (条例 26); then the page says it may bid.
    assert "招标投标法实施条例 第26条" in await page.inner_text("#bid-refusal")
    await page.fill("#security-reference", "BG-2026-001")
    await page.click("#security-submit")
    await page.wait_for_selector("#may-bid")
    await page.wait_for_selector("body[data-ready=true]")

    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]")
    assert await page.is_enabled("#seal-submit")

    # A 20-digit price: refused before sealing, with the server's limit; nothing sent.
    await review(page, "12345678901234567890")
    error = page.locator("#seal-error")
    await error.wait_for()
    assert "9,999,999,999,999.99" in await error.inner_text()
    assert await page.is_hidden("#seal-confirm")
    # Above the control price (9,500,000.00): a bid the committee must reject (条例 51).
    await review(page, "9600000.00")
    await page.wait_for_selector("#seal-error:has-text('第51条')")
    assert await page.is_hidden("#seal-confirm")
    assert sent == [] and await bids(rt, lot.id) == 0

    # A good price with a file: the confirmation shows figures, capital numerals, the digest.
    await page.set_input_files(
        "#bid-files", files=[{"name": "技术标.txt", "mimeType": "text/plain", "buffer": FILE}]
    )
    await review(page, "9087654.32")
    await page.wait_for_selector("#seal-confirm:not([hidden])")
    assert await page.is_hidden("#seal-error")
    assert "9,087,654.32" in await page.inner_text("#confirm-price")
    assert await page.inner_text("#confirm-words") == "玖佰零捌万柒仟陆佰伍拾肆元叁角贰分"
    assert hashlib.sha256(FILE).hexdigest() in await page.inner_text("#confirm-files")
    assert await page.is_hidden("#confirm-empty-box")
    assert sent == []  # reviewing sends nothing
    await page.click("#confirm-seal")
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    assert await bids(rt, lot.id) == 1

    # A replacement without files asks for explicit confirmation before anything is sent.
    await page.set_input_files("#bid-files", files=[])
    await review(page, "9000000.00")
    await page.wait_for_selector("#confirm-empty-box:not([hidden])")
    await page.click("#confirm-seal")
    await page.wait_for_selector("#seal-error:not([hidden])")
    assert len(sent) == 1 and await bids(rt, lot.id) == 1
    await page.check("#confirm-empty")
    await page.click("#confirm-seal")
    await page.wait_for_selector("#receipt-version:text-is('v2')")
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    assert await bids(rt, lot.id) == 2

    # The receipt as a PDF (Chinese text, the same bytes twice) and as the signed JSON.
    async with page.expect_download() as got:
        await page.click("#receipt-pdf")
    first = tmp_path / "receipt.pdf"
    await (await got.value).save_as(first)
    async with page.expect_download() as got:
        await page.click("#history tr[data-status=active] a[href$='receipt.pdf']")
    second = tmp_path / "receipt-again.pdf"
    await (await got.value).save_as(second)
    assert first.read_bytes().startswith(b"%PDF") and first.read_bytes() == second.read_bytes()
    text = pdf_text(first)
    assert "投标文件递交回执" in text and "第 2 版" in text
    async with page.expect_download() as got:
        await page.click("#receipt-file")
    signed = read_json(await (await got.value).path())
    async with rt.sessionmaker() as session:
        row = await session.scalar(select(Bid).where(Bid.lot_id == lot.id, Bid.version == 2))
    assert row is not None and signed == row.receipt
    verify_receipt(signed, rt.platform.sign_pub)
    assert row.receipt["ciphertext_sha256"] in text
