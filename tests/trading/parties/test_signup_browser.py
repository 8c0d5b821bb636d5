"""A new company signs up in the browser with its business licence; a center's staff member
approves the claim in another browser context; the bidder then reaches /bidder. Every page runs
under the strict CSP (a violation fails the test)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.async_api import Browser

from bidhall.demo import DEMO_PASSWORD
from tests.trading.parties.accounts_support import LICENCE, PASSWORD, uscc

WAIT_MS = 30_000


@pytest.mark.browser
async def test_sign_up_with_a_licence_staff_approve_bidder_sees_workspace(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(LICENCE)
    digest = hashlib.sha256(LICENCE).hexdigest()

    bidder_context = await browser.new_context()
    bidder = await bidder_context.new_page()
    bidder.set_default_timeout(WAIT_MS)
    await bidder.goto(live_server + "/login")
    await bidder.click("#signup-link")
    await bidder.wait_for_url("**/signup")
    await bidder.fill("#username", "browserboss")
    await bidder.fill("#display_name", "李总")
    await bidder.fill("#password", PASSWORD)
    await bidder.fill("#password2", PASSWORD)
    await bidder.fill("#uscc", uscc(40))
    await bidder.fill("#org_name", "广西浏览器建设有限公司")
    await bidder.select_option("#center", "450100")
    await bidder.set_input_files("#licence", str(licence))
    await bidder.click("#signup-submit")
    await bidder.wait_for_url("**/account?done=signed_up")
    claims = await bidder.inner_text("#claims")
    assert uscc(40) in claims and digest in claims and "待审核" in claims
    assert await bidder.locator("a[href='/bidder']").count() == 0  # no bidder rights yet

    staff_context = await browser.new_context()
    staff = await staff_context.new_page()
    staff.set_default_timeout(WAIT_MS)
    await staff.goto(live_server + "/login")
    await staff.fill("input[name=username]", "staff-450100")
    await staff.fill("input[name=password]", DEMO_PASSWORD)
    await staff.click("form button.primary")
    await staff.wait_for_url(live_server + "/")
    await staff.goto(live_server + "/center")
    await staff.click("#claims-link")
    await staff.wait_for_url("**/center/claims")
    row = staff.locator("tr", has_text=uscc(40))
    assert digest in await row.inner_text()
    async with staff.expect_download() as download_info:
        await row.locator("a.licence").click()
    download = await download_info.value
    saved = tmp_path / "downloaded.pdf"
    await download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == digest
    await row.locator(".approve-form button").click()
    await staff.wait_for_url("**/center/claims?done=approved")
    assert await staff.locator("tr", has_text=uscc(40)).count() == 0

    await bidder.goto(live_server + "/account")
    assert "已批准" in await bidder.inner_text("#claims")
    await bidder.click("a.button[href='/bidder']")
    await bidder.wait_for_url("**/bidder")
    assert await bidder.locator("a[href='/bidder']").count() >= 1
    await bidder.goto(live_server + "/bidder/company")
    assert uscc(40) in await bidder.inner_text("#company")
    assert "browserboss" in await bidder.inner_text("#members")
