"""Issue 4 item 6, in a real browser: a bidder makes its keys, seals and submits in Chromium;
what the server stored is ciphertext that no key opens before the opening, and the opening
record shows exactly the price typed in the browser. A body altered on its way out is
refused with 422 and leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy import func, select

from bidding.opening.flows import run_opening
from bidding.opening.models import Opening
from bidding.submission.models import Bid
from bidhall.demo import DEMO_PASSWORD, demo_identity, demo_uscc, release_shares
from crypto import bundle, envelope, receipts
from crypto.encoding import b64u_decode
from crypto.errors import NoStanzaError
from crypto.labels import envelope_lot_id
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization, PartyKey
from trading.projects.models import Lot

PRICE = "9087654.32"  # distinctive: appears nowhere else in the world
FILE_TEXT = "浏览器密封测试：本技术方案的独特标记 ZX-41-QUOKKA，开标前不得泄露。"


async def sign_in(browser: Browser, base: str, username: str) -> Page:
    page = await browser.new_page()
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form[action='/login'] button")
    await page.wait_for_url(base + "/")
    return page


async def open_lot_with_fresh_keys(page: Page, base: str, lot_id: int) -> None:
    """Open the seal page and generate + register keys in this browser."""
    await page.goto(f"{base}/bidder/lots/{lot_id}")
    await page.wait_for_selector("body[data-ready=true]")
    # The seeded bidder's key lives in a key file (the CLI's), not in this browser.
    assert await page.get_attribute("#key-status", "data-state") == "other"
    assert await page.is_disabled("#seal-submit")
    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]")
    await page.wait_for_selector("#key-cert-status[data-verified=true]")
    assert await page.is_enabled("#seal-submit")


async def fill_bid(page: Page) -> None:
    await page.fill("#price", PRICE)
    assert await page.inner_text("#price-words") == "玖佰零捌万柒仟陆佰伍拾肆元叁角贰分"
    await page.fill("#duration", "365")
    await page.fill("#quality", "优良")
    await page.set_input_files(
        "#bid-files",
        files=[{"name": "技术标.txt", "mimeType": "text/plain", "buffer": FILE_TEXT.encode()}],
    )


async def review_and_confirm(page: Page) -> None:
    """The confirmation step: review what will be sealed, then confirm."""
    await page.click("#seal-submit")
    await page.wait_for_selector("#seal-confirm:not([hidden])")
    await page.click("#confirm-seal")


OPFS_ENTRIES = """async () => {
  const names = [];
  for await (const name of (await navigator.storage.getDirectory()).keys()) names.push(name);
  return names;
}"""


async def bidder_1(rt: Runtime) -> tuple[Organization, PartyKey]:
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == "bidder-1"))
        assert user is not None
        org = await session.get(Organization, user.org_id)
        key = await session.scalar(
            select(PartyKey).where(PartyKey.user_id == user.id).order_by(PartyKey.id.desc())
        )
        assert org is not None and key is not None and org.uscc == demo_uscc(2)
        return org, key


async def bid_count(rt: Runtime, lot_id: int) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count(Bid.id)).where(Bid.lot_id == lot_id)))


def stored_blobs(rt: Runtime) -> set[Path]:
    root = rt.settings.blob_dir
    return {p for p in root.rglob("*") if p.is_file()}


async def test_bid_sealed_in_browser_is_ciphertext_until_the_opening(
    browser: Browser,
    live_server: str,
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    tmp_path: Path,
) -> None:
    lot: Lot = await publish_lot(title="浏览器密封道路工程")
    await bid(lot, {"bidder-2": "8950000.00", "bidder-3": "9230000.00"})  # the legal minimum
    page = await sign_in(browser, live_server, "bidder-1")
    await open_lot_with_fresh_keys(page, live_server, lot.id)
    org, key = await bidder_1(rt)
    fingerprint = await page.inner_text("#key-fingerprint")
    assert hashlib.sha256(b64u_decode(key.sign_pub)).hexdigest() in fingerprint

    await fill_bid(page)
    await review_and_confirm(page)
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    sha = await page.get_attribute("#receipt", "data-sha256")
    assert sha is not None
    # Sealed into the origin-private file system (disk), not held in memory; then deleted.
    assert await page.get_attribute("#progress-card", "data-strategy") == "opfs"
    assert await page.evaluate(OPFS_ENTRIES) == []

    # The server's record: one active bid from bidder-1, its receipt genuine.
    async with rt.sessionmaker() as session:
        row = await session.scalar(
            select(Bid).where(Bid.lot_id == lot.id, Bid.bidder_org_id == org.id)
        )
        assert row is not None and row.ciphertext_sha256 == sha and row.version == 1
        assert row.price is None and row.price_form is None
        receipts.verify_receipt(row.receipt, rt.platform.sign_pub)
    # The public size says nothing of the price: a CLI bid of 0.01 with the same file (and a
    # different form) has exactly the browser bid's length (docs/envelope.md, padding).
    from bidding.client.sealing import seal_bid

    assert lot.opening_pub is not None
    other = seal_bid(
        demo_identity(rt, "bidder-1"),
        lot_id=envelope_lot_id(lot.id),
        bidder_id=org.uscc,
        version=1,
        opening_pub=b64u_decode(lot.opening_pub, length=32),
        price_form=bundle.make_price_form(price="0.01", duration_days=1, quality="合格"),
        files=[("技术标.txt", io.BytesIO(FILE_TEXT.encode()))],
        out=tmp_path / "other.sealed",
    )
    assert row.size == row.receipt["size"] == other.size

    # What the server received is ciphertext: neither the price nor the file text is in it.
    with rt.blobs.open(sha) as fh:
        blob = fh.read()
    assert hashlib.sha256(blob).hexdigest() == sha
    for secret in (PRICE, PRICE.replace(".", ""), FILE_TEXT, "ZX-41-QUOKKA", "技术标"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in blob, (secret, encoding)
    assert b"BHBNDL" not in blob  # not even the bundle's magic: the whole bundle is sealed

    # Sealed to the lot's opening key and to the bidder's own browser key, nothing else.
    header = envelope.read_header(io.BytesIO(blob))
    assert (header.lot_id, header.bidder_id, header.version) == (
        envelope_lot_id(lot.id),
        org.uscc,
        1,
    )
    assert lot.opening_pub is not None
    assert [(s.label, s.fingerprint) for s in header.stanzas] == [
        ("opening", hashlib.sha256(b64u_decode(lot.opening_pub)).digest()),
        ("bidder", hashlib.sha256(b64u_decode(key.enc_pub)).digest()),
    ]

    # Before the opening no key that exists outside that browser opens it: the opening key
    # exists only as custody shares, the platform's key and bidder-1's old (CLI) key have
    # no stanza, and the opening itself is refused.
    async with rt.sessionmaker() as session:
        assert await session.get(Opening, lot.id) is None
    for priv in (rt.platform.enc_priv, demo_identity(rt, "bidder-1").enc_priv):
        with pytest.raises(NoStanzaError):
            envelope.open_envelope(io.BytesIO(blob), io.BytesIO(), recipient_priv=priv)
    with pytest.raises(Conflict):
        await run_opening(rt, lot.id)

    # The workspace lists the bid with its receipt checked in the browser.
    await page.goto(live_server + "/bidder")
    await page.wait_for_selector("body[data-ready=true]")
    check = page.locator(f"#receipts [data-receipt-for='{row.id}']")
    assert await check.get_attribute("data-verified") == "true"
    assert "浏览器密封道路工程" in await page.inner_text(f"#my-lots tr[data-lot-id='{lot.id}']")

    # At the deadline the custodians release their shares; the record shows the typed price.
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    await page.goto(f"{live_server}/lots/{lot.id}/opening")
    mine = page.locator("#opening-rows tr", has_text=org.uscc)
    assert await mine.count() == 1
    # PRICE as a center prints it: thousands separators, and in capital numerals beside it.
    assert await mine.locator("td[data-key=price]").inner_text() == "9,087,654.32"
    async with rt.sessionmaker() as session:
        opened = await session.get(Bid, row.id)
        assert opened is not None and opened.status == "decrypted"
        assert opened.price_form == {
            "price": PRICE,
            "currency": "CNY",
            "duration_days": 365,
            "quality": "优良",
        }


FLIP_A_PAYLOAD_BYTE = """() => {
  window.bidhallTestHooks = {
    beforeUpload: async (blob) => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      bytes[bytes.length - 40] ^= 0x01; // inside the last chunk's ciphertext
      return new Blob([bytes], { type: "application/octet-stream" });
    },
  };
}"""


async def test_tampered_browser_upload_is_refused_and_leaves_nothing(
    browser: Browser, live_server: str, rt: Runtime, publish_lot: Any
) -> None:
    lot: Lot = await publish_lot(title="篡改上传测试工程")
    page = await sign_in(browser, live_server, "bidder-1")
    await open_lot_with_fresh_keys(page, live_server, lot.id)
    before = stored_blobs(rt)

    await fill_bid(page)
    await page.evaluate(FLIP_A_PAYLOAD_BYTE)
    await review_and_confirm(page)
    error = page.locator("#submit-error[data-status='422']")
    await error.wait_for()
    assert "签名" in await error.inner_text()  # the signed digest no longer matches
    assert await page.is_hidden("#receipt")
    assert await bid_count(rt, lot.id) == 0
    assert stored_blobs(rt) == before  # no blob, no staging file left behind

    # The same bidder, untampered, is accepted as version 1: nothing of the refusal stuck.
    await page.evaluate("() => { delete window.bidhallTestHooks; }")
    await fill_bid(page)
    await review_and_confirm(page)
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    assert await page.inner_text("#receipt-version") == "v1"
    assert await bid_count(rt, lot.id) == 1


async def test_replace_then_withdraw_from_the_workspace(
    browser: Browser, live_server: str, rt: Runtime, publish_lot: Any
) -> None:
    lot: Lot = await publish_lot(title="替换与撤回测试工程")
    page = await sign_in(browser, live_server, "bidder-1")
    await open_lot_with_fresh_keys(page, live_server, lot.id)
    for version in (1, 2):
        await fill_bid(page)
        await review_and_confirm(page)
        await page.wait_for_selector(f"#receipt-version:text-is('v{version}')")
        await page.wait_for_selector("#receipt-verify[data-verified=true]")
    rows = page.locator("#history tbody tr")
    assert [await r.get_attribute("data-status") for r in await rows.all()] == [
        "active",
        "replaced",
    ]
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("#withdraw")
    await page.wait_for_selector("#history tr[data-status=withdrawn]")
    async with rt.sessionmaker() as session:
        statuses = list(
            await session.scalars(
                select(Bid.status).where(Bid.lot_id == lot.id).order_by(Bid.version)
            )
        )
    assert statuses == ["replaced", "withdrawn"]


async def test_upload_of_a_file_sealed_with_the_cli(
    browser: Browser, live_server: str, rt: Runtime, publish_lot: Any, tmp_path: Path
) -> None:
    """The bidder keeps its CLI key (no browser key): the sealed file and its .sig go up as is."""
    from bidding.client.sealing import seal_bid

    lot: Lot = await publish_lot(title="客户端密封上传工程")
    org, _key = await bidder_1(rt)
    assert lot.opening_pub is not None
    sealed = seal_bid(
        demo_identity(rt, "bidder-1"),
        lot_id=envelope_lot_id(lot.id),
        bidder_id=org.uscc,
        version=1,
        opening_pub=b64u_decode(lot.opening_pub, length=32),
        price_form={"price": PRICE, "duration_days": 200, "quality": "合格"},
        out=tmp_path / "bid.sealed",
    )
    (tmp_path / "bid.sealed.sig").write_text(sealed.signature + "\n", encoding="utf-8")
    page = await sign_in(browser, live_server, "bidder-1")
    await page.goto(f"{live_server}/bidder/lots/{lot.id}")
    await page.wait_for_selector("body[data-ready=true]")
    assert await page.get_attribute("#key-status", "data-state") == "other"
    await page.set_input_files("#sealed-file", str(tmp_path / "bid.sealed"))
    await page.set_input_files("#sealed-sig", str(tmp_path / "bid.sealed.sig"))
    await page.click("#presealed-submit")
    await page.wait_for_selector("#receipt-verify[data-verified=true]")
    assert await page.get_attribute("#receipt", "data-sha256") == sealed.ciphertext_sha256
    assert await bid_count(rt, lot.id) == 1


async def test_workspace_is_for_bidders_only(browser: Browser, live_server: str) -> None:
    anonymous = await browser.new_page()
    response = await anonymous.goto(live_server + "/bidder")
    # Anonymous: sent to sign in, and back here afterwards.
    assert response is not None and response.status == 200
    assert anonymous.url == live_server + "/login?next=%2Fbidder"
    custodian = await sign_in(browser, live_server, "custodian-450100-1")
    response = await custodian.goto(live_server + "/bidder")
    assert response is not None and response.status == 403
