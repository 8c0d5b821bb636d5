"""Issue 13, the whole journey in Chromium: a new company takes part with nothing but a browser.

A squatter claims the company's USCC first; the real company signs up with its licence anyway
and staff-450100 approves it (the squatter's claim is rejected, never a block). The company's
administrator registers for a published lot, downloads and verifies a document, asks a question,
lodges security, generates its key, exports it to a key file, seals and submits with the
confirmation step. In a second, fresh browser context the same person signs in, imports the key
file, checks in, and decrypts its own bid in the hall when the opening starts; two custodians
release their shares in their browsers; the record shows the company's price, and after the
evaluation and award the company reads its result: 中标. Every page runs under the strict CSP.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy import select

from bidding.opening.flows import run_opening
from bidding.opening.models import CheckIn
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import DEMO_PASSWORD, key_path
from crypto.keys import load_identity
from tests.bidding.opening.test_custodian_browser import custodian_page, custodians_of
from tests.bidding.submission.test_browser_sealing_confirm import DOC, add_document
from tests.evaluation.outcome.test_bidder_result import staff_does
from tests.trading.parties.accounts_support import LICENCE, PASSWORD, uscc
from tests.trading.parties.test_key_file_browser import import_file
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization, OrgClaim, PartyKey
from trading.projects.models import Lot

pytestmark = pytest.mark.browser

WAIT_MS = 30_000
CODE = uscc(13)
COMPANY = "广西新星路桥建设有限公司"
ADMIN = "xinxing-admin"
PRICE = "8765432.10"  # the lowest of the three: the company wins
SHOWN = "8,765,432.10"
CAPITAL = "捌佰柒拾陆万伍仟肆佰叁拾贰元壹角"
FILE = "技术标：新星路桥施工组织设计 XX-13-PANGOLIN".encode()
BACKUP_PASS = "新星备份口令 backup-13"


async def fresh_page(browser: Browser) -> Page:
    """A page in a new context: its own cookies and IndexedDB, like another computer."""
    context: BrowserContext = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    return page


async def sign_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("form[action='/login'] button")
    await page.wait_for_url(base + "/")


async def sign_up(page: Page, base: str, username: str, org_name: str, licence: Path) -> None:
    """The sign-up page: an account and a claim for CODE, pending until staff decide."""
    await page.goto(base + "/login")
    await page.click("#signup-link")
    await page.wait_for_url("**/signup")
    await page.fill("#username", username)
    await page.fill("#display_name", username)
    await page.fill("#password", PASSWORD)
    await page.fill("#password2", PASSWORD)
    await page.fill("#uscc", CODE)
    await page.fill("#org_name", org_name)
    await page.select_option("#center", "450100")
    await page.set_input_files("#licence", str(licence))
    await page.click("#signup-submit")
    await page.wait_for_url("**/account?done=signed_up")
    assert "待审核" in await page.inner_text("#claims")


async def claims_of(rt: Runtime, username: str) -> list[OrgClaim]:
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return list(await session.scalars(select(OrgClaim).where(OrgClaim.user_id == user.id)))


async def company_of(rt: Runtime, username: str) -> Organization | None:
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return None if user.org_id is None else await session.get(Organization, user.org_id)


async def approve_in_the_browser(browser: Browser, base: str, digest: str) -> None:
    """staff-450100 sees both claims for CODE and approves the real company's."""
    staff = await fresh_page(browser)
    await sign_in(staff, base, "staff-450100", DEMO_PASSWORD)
    await staff.goto(base + "/center/claims")
    assert await staff.locator(f"tr[data-uscc='{CODE}']").count() == 2  # squatter's too
    row = staff.locator(f"tr[data-uscc='{CODE}']", has_text=ADMIN)
    assert digest in await row.inner_text()
    await row.locator(".approve-form button").click()
    await staff.wait_for_url("**/center/claims?done=approved")
    assert await staff.locator(f"tr[data-uscc='{CODE}']").count() == 0
    await staff.context.close()


async def prepare_and_seal(page: Page, base: str, lot: Lot, tmp_path: Path) -> Path:
    """报名, document, question, security, keys (exported to a file), then seal with care.
    Returns the exported key file."""
    await page.goto(f"{base}/bidder/lots/{lot.id}")
    await page.wait_for_selector("body[data-ready=true]")
    assert "电子招标投标办法 第24条" in await page.inner_text("#bid-refusal")
    await page.click("#register")
    await page.wait_for_selector("#part-done")

    async with page.expect_download() as got:
        await page.click("#documents .doc-verify")
    await page.wait_for_selector("#documents .doc-check[data-verified=true]")
    saved = tmp_path / "招标文件.pdf"
    await (await got.value).save_as(saved)
    assert saved.read_bytes() == DOC

    await page.fill("#question-text", "新星路桥：是否接受电子保函？")
    await page.click("#ask")
    await page.wait_for_selector("#my-questions li[data-answered=false]")

    assert "招标投标法实施条例 第26条" in await page.inner_text("#bid-refusal")
    await page.fill("#security-reference", "BH-XX-13")
    await page.click("#security-submit")
    await page.wait_for_selector("#may-bid")
    await page.wait_for_selector("body[data-ready=true]")

    # A new company has no key anywhere: generate one here, then back it up to a key file.
    assert await page.get_attribute("#key-status", "data-state") == "none"
    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]")
    await page.wait_for_selector("#key-cert-status[data-verified=true]")
    await page.click("#key-export-box summary")
    await page.fill("#key-export-pass", BACKUP_PASS)
    await page.fill("#key-export-pass2", BACKUP_PASS)
    async with page.expect_download() as got:
        await page.click("#key-export")
    download = await got.value
    key_file = tmp_path / download.suggested_filename
    await download.save_as(key_file)

    # Seal with the confirmation step: figures, capital numerals, the file's digest.
    await page.fill("#price", PRICE)
    await page.fill("#duration", "300")
    await page.fill("#quality", "合格")
    await page.set_input_files(
        "#bid-files", files=[{"name": "技术标.txt", "mimeType": "text/plain", "buffer": FILE}]
    )
    await page.click("#seal-submit")
    await page.wait_for_selector("#seal-confirm:not([hidden])")
    assert SHOWN in await page.inner_text("#confirm-price")
    assert await page.inner_text("#confirm-words") == CAPITAL
    assert hashlib.sha256(FILE).hexdigest() in await page.inner_text("#confirm-files")
    await page.click("#confirm-seal")
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    return key_file


async def release_in_the_browser(browser: Browser, rt: Runtime, base: str, lot_id: int) -> None:
    """Two custodians, each in its own browser, release with their key files in one click."""
    for username in (await custodians_of(rt, lot_id))[:2]:
        page = await custodian_page(browser, base, username, lot_id)
        await page.set_input_files("#release-key-file", str(key_path(rt, username)))
        await page.fill("#release-key-pass", DEMO_PASSWORD)
        await page.click("#release-share")
        await page.wait_for_url(f"**/custodian/lots/{lot_id}?released=*")
        await page.context.close()


async def test_a_new_company_takes_part_with_nothing_but_a_browser(
    browser: Browser,
    live_server: str,
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    tmp_path: Path,
) -> None:
    lot: Lot = await publish_lot(title="新星全程浏览器工程", enrol=("bidder-2", "bidder-3"))
    await add_document(rt, lot)
    await bid(lot, {"bidder-2": "8950000.00", "bidder-3": "9230000.00"})  # with ours: 3
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(LICENCE)

    # A squatter claims the USCC first, under a made-up name; it blocks nothing.
    squatter = await fresh_page(browser)
    await sign_up(squatter, live_server, "squatter-13", "冒名顶替公司", licence)
    admin = await fresh_page(browser)
    await sign_up(admin, live_server, ADMIN, COMPANY, licence)
    assert await admin.locator("a[href='/bidder']").count() == 0  # no bidder rights yet
    await approve_in_the_browser(browser, live_server, hashlib.sha256(LICENCE).hexdigest())

    company = await company_of(rt, ADMIN)
    assert company is not None and company.uscc == CODE and company.name == COMPANY
    assert await company_of(rt, "squatter-13") is None
    [squat] = await claims_of(rt, "squatter-13")
    assert squat.state == "rejected"
    await squatter.goto(live_server + "/account")
    assert "已驳回" in await squatter.inner_text("#claims")
    assert await squatter.locator("a[href='/bidder']").count() == 0
    await squatter.context.close()

    await admin.goto(live_server + "/account")
    assert "已批准" in await admin.inner_text("#claims")
    key_file = await prepare_and_seal(admin, live_server, lot, tmp_path)
    await admin.context.close()
    async with rt.sessionmaker() as session:
        ours = await session.scalar(select(Bid).where(Bid.bidder_org_id == company.id))
        key = await session.scalar(
            select(PartyKey).join(User, User.id == PartyKey.user_id).where(User.username == ADMIN)
        )
    assert ours is not None and ours.lot_id == lot.id and ours.price is None  # sealed
    # The exported file is the CLI's format and holds the very key the platform certified.
    identity = load_identity(key_file, BACKUP_PASS)
    assert key is not None and identity.public().to_dict() == {
        "sign_pub": key.sign_pub,
        "enc_pub": key.enc_pub,
    }

    # Another computer, three weeks later, inside the check-in window: import the key file.
    clock.set(lot.bid_deadline - timedelta(minutes=10))
    page = await fresh_page(browser)
    await sign_in(page, live_server, ADMIN, PASSWORD)
    await page.goto(live_server + "/keys")
    await page.wait_for_selector("body[data-ready=true]")
    assert await page.get_attribute("#key-status", "data-state") == "other"
    await import_file(page, key_file, BACKUP_PASS)
    await page.wait_for_selector("#key-status[data-state=ok]")

    await page.goto(f"{live_server}/lots/{lot.id}/hall")
    await page.wait_for_selector("#hall[data-connected='1']")
    await page.click("#check-in-btn")
    await page.wait_for_selector("#checked-in")
    async with rt.sessionmaker() as session:
        checked = await session.scalar(select(CheckIn).where(CheckIn.lot_id == lot.id))
    assert checked is not None and checked.org_id == company.id

    # The opening starts with the hall open; the company decrypts its own bid with the import.
    await page.wait_for_selector("#hall[data-connected='1']")
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    await page.wait_for_selector("#decrypt-box:not([hidden])")
    await page.click("#decrypt-own-btn")
    await page.wait_for_selector("#decrypt-msg[data-done=true]")
    await page.wait_for_selector("#roster-rows tr.mine[data-status='decrypted']")
    async with rt.sessionmaker() as session:
        ours = await session.get(Bid, ours.id)
    assert ours is not None and ours.status == BidStatus.DECRYPTED and str(ours.price) == PRICE

    # Two custodians release in their browsers; the others' bids open and the record is read
    # out in the company's hall, its own row marked, with its price.
    await release_in_the_browser(browser, rt, live_server, lot.id)
    mine = page.locator("#record-rows tr.mine")
    await mine.wait_for()
    assert SHOWN in await mine.inner_text() and CODE in await mine.inner_text()
    await page.goto(f"{live_server}/lots/{lot.id}/opening")
    record = await page.inner_text("#opening-rows")
    assert COMPANY in record and SHOWN in record

    # Evaluation, candidates and award through the services; the session expired meanwhile.
    for step in ("evaluate", "candidates", "award"):
        await staff_does(rt, clock, step, lot.id)
    await sign_in(page, live_server, ADMIN, PASSWORD)
    await page.goto(live_server + "/bidder")
    await page.locator(f"#my-lots tr[data-lot-id='{lot.id}'] a.result-link").click()
    await page.wait_for_url(f"**/bidder/lots/{lot.id}/result")
    assert await page.get_attribute("#won", "data-won") == "true"
    assert await page.inner_text("#won") == "中标"
    assert SHOWN in await page.inner_text("#opening")
    # Closed before the live server stops: otherwise its shutdown waits the full 30 s for a
    # connection this context still holds after leaving the hall (measured).
    await page.context.close()
