"""Issue 13 item 3, in Chromium: one key file for the CLI and the browser. A key file written by
crypto.keys (the CLI's code) is imported into a fresh browser context, which then signs what
Python verifies and opens what Python sealed to it; keys generated in a browser are exported,
read by the CLI's code, and imported into another fresh context. An old (scrypt) file and a
wrong passphrase are refused with a sentence; a lost key is revoked from the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page
from sqlalchemy import select

from bidhall.demo import DEMO_PASSWORD, demo_identity, key_path
from crypto import _hpke
from crypto.encoding import b64u_decode, b64u_encode
from crypto.keys import load_identity
from crypto.signing import verify
from trading.auth.models import User
from trading.kernel.runtime import Runtime
from trading.parties.models import PartyKey

WAIT_MS = 30_000
V1_FILE = Path(__file__).parents[2] / "crypto" / "vectors" / "identity-v1-scrypt.json"
BACKUP_PASS = "备份口令 backup-2026"


async def sign_in(browser: Browser, base: str, username: str) -> Page:
    """A fresh browser context (its own IndexedDB), signed in, on the keys page."""
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(base + "/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("form[action='/login'] button")
    await page.wait_for_url(base + "/")
    await page.goto(base + "/keys")
    await page.wait_for_selector("body[data-ready=true]")
    return page


async def import_file(page: Page, path: Path, passphrase: str) -> None:
    # Keys registered elsewhere and none here: the card opens the import box by itself.
    assert await page.get_attribute("#key-import-box", "open") is not None
    await page.set_input_files("#key-import-file", str(path))
    await page.fill("#key-import-pass", passphrase)
    await page.click("#key-import")


async def registered(rt: Runtime, username: str) -> PartyKey | None:
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return await session.scalar(
            select(PartyKey)
            .where(PartyKey.user_id == user.id, PartyKey.revoked_at.is_(None))
            .order_by(PartyKey.id.desc())
        )


# In the page: sign with the stored Ed25519 key, open an HPKE box with the stored X25519 key.
USE_STORED_KEYS = """
async ({ owner, message, enc, info, aad, ct }) => {
  const keys = await import("/static/js/keys.js");
  const { openBase } = await import("/static/js/hpke.js");
  const { fromB64u, toB64u } = await import("/static/js/bytes.js");
  const id = await keys.loadIdentity(owner);
  const signature = await keys.sign(id, fromB64u(message));
  const opened = await openBase(id.encPriv, id.encPub, fromB64u(enc), fromB64u(info),
    fromB64u(aad), fromB64u(ct));
  return { signature, opened: toB64u(opened), source: id.source };
}
"""


async def test_cli_key_file_imported_into_a_fresh_browser_signs_and_unseals(
    rt: Runtime, browser: Browser, live_server: str
) -> None:
    page = await sign_in(browser, live_server, "bidder-1")
    # The seeded bidder's registered key lives in its key file (written by crypto.keys).
    assert await page.get_attribute("#key-status", "data-state") == "other"
    cli_file = key_path(rt, "bidder-1")
    assert json.loads(cli_file.read_text())["version"] == 2

    # Attacks first: a wrong passphrase and an old-format file change nothing.
    await import_file(page, cli_file, "not the passphrase")
    await page.wait_for_selector("#key-error:not([hidden])")
    assert "wrong passphrase" in await page.inner_text("#key-error")
    await page.set_input_files("#key-import-file", str(V1_FILE))
    await page.fill("#key-import-pass", "old cli passphrase 旧口令")
    await page.click("#key-import")
    await page.wait_for_function(
        "() => document.getElementById('key-error').textContent.includes('keys upgrade')"
    )
    assert await page.get_attribute("#key-status", "data-state") == "other"

    await page.fill("#key-import-pass", DEMO_PASSWORD)
    await page.set_input_files("#key-import-file", str(cli_file))
    await page.click("#key-import")
    await page.wait_for_selector("#key-status[data-state=ok]")
    await page.wait_for_selector("#key-cert-status[data-verified=true]")
    assert "imported" in (await page.inner_text("#key-message")) or "导入" in (
        await page.inner_text("#key-message")
    )

    identity = demo_identity(rt, "bidder-1")
    message = "投标函签名测试 / signed in the browser".encode()
    info, aad, secret = b"bidhall test info", b"bidhall test aad", b"sealed to bidder-1 by Python"
    enc, ct = _hpke.seal(identity.enc_pub, info, aad, secret)
    owner = await page.get_attribute("#keys", "data-owner")
    out: dict[str, Any] = await page.evaluate(
        USE_STORED_KEYS,
        {
            "owner": owner,
            "message": b64u_encode(message),
            "enc": b64u_encode(enc),
            "info": b64u_encode(info),
            "aad": b64u_encode(aad),
            "ct": b64u_encode(ct),
        },
    )
    assert out["source"] == "imported"
    verify(identity.sign_pub, message, b64u_decode(out["signature"]))  # raises if wrong
    assert b64u_decode(out["opened"]) == secret


async def test_browser_keys_exported_read_by_the_cli_and_imported_elsewhere(
    rt: Runtime, browser: Browser, live_server: str, tmp_path: Path
) -> None:
    page = await sign_in(browser, live_server, "bidder-2")
    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]")
    key = await registered(rt, "bidder-2")
    assert key is not None

    await page.click("#key-export-box summary")
    await page.fill("#key-export-pass", BACKUP_PASS)
    await page.fill("#key-export-pass2", BACKUP_PASS + "x")
    await page.click("#key-export")
    await page.wait_for_selector("#key-error:not([hidden])")
    assert "口令不一致" in await page.inner_text("#key-error")

    await page.fill("#key-export-pass", BACKUP_PASS)
    await page.fill("#key-export-pass2", BACKUP_PASS)
    async with page.expect_download() as info:
        await page.click("#key-export")
    download = await info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.name.startswith("bidhall-ed25519-") and saved.suffix == ".key"

    # The CLI's own code reads the browser's file: the very keys the platform certified.
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert doc["version"] == 2 and doc["kdf"] == {"name": "PBKDF2-SHA256", "iterations": 600_000}
    identity = load_identity(saved, BACKUP_PASS)
    assert identity.public().to_dict() == {"sign_pub": key.sign_pub, "enc_pub": key.enc_pub}
    assert load_identity(saved, BACKUP_PASS) == identity

    # ... and a second browser (a new context: empty IndexedDB) takes the same file back.
    other = await sign_in(browser, live_server, "bidder-2")
    assert await other.get_attribute("#key-status", "data-state") == "other"
    await import_file(other, saved, BACKUP_PASS)
    await other.wait_for_selector("#key-status[data-state=ok]")
    assert await other.inner_text("#key-fingerprint") == await page.inner_text("#key-fingerprint")


async def test_a_lost_key_is_revoked_from_the_page_and_a_new_one_registered(
    rt: Runtime, browser: Browser, live_server: str
) -> None:
    page = await sign_in(browser, live_server, "bidder-3")
    before = await registered(rt, "bidder-3")
    assert before is not None
    await page.click("#key-lost summary")
    assert "第31条" in await page.inner_text("#key-lost")
    await page.check("#key-revoke-form input[name=confirm]")
    await page.click("#key-revoke")
    await page.wait_for_url(live_server + "/keys?done=revoked")
    await page.wait_for_selector("body[data-ready=true]")
    assert await page.get_attribute("#key-status", "data-state") == "none"
    assert await registered(rt, "bidder-3") is None
    assert await page.is_hidden("#key-lost")  # nothing left to revoke

    await page.click("#key-generate")
    await page.wait_for_selector("#key-status[data-state=ok]")
    after = await registered(rt, "bidder-3")
    assert after is not None and after.id != before.id
