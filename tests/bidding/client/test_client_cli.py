"""The bidder's and custodian's `bidhall` client against the real app served by uvicorn.

Each command runs through `bidhall.cli.main` (one-line errors, exit codes) in a worker
thread while the server serves this test's seeded world on its own thread.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bidding.opening.flows import run_opening
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import DEMO_PASSWORD, key_path
from crypto import envelope
from crypto.encoding import b64u_decode
from crypto.keys import load_identity
from crypto.signing import verify_certificate
from trading.auth.models import User
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization, PartyKey
from trading.projects.models import Lot

PASS = "correct horse battery"
PRICE = "8765432.10"


async def token(url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post(
            "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


async def uscc_of(rt: Runtime, username: str) -> str:
    async with rt.sessionmaker() as session:
        org = await session.scalar(
            select(Organization)
            .join(User, User.org_id == Organization.id)
            .where(User.username == username)
        )
        assert org is not None
        return org.uscc


def passfile(tmp_path: Path, text: str = PASS) -> str:
    path = tmp_path / f"pass-{abs(hash(text))}.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def listing(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def one_line_error(ran: Any, *needles: str) -> str:
    assert ran.code == 2, (ran.out, ran.err)
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return str(lines[0])


async def new_registered_key(
    rt: Runtime, url: str, bidhall: Any, tmp_path: Path, username: str
) -> tuple[Path, str]:
    key = tmp_path / f"{username}.key"
    pw = passfile(tmp_path)
    ran = await bidhall("keys", "new", "--out", str(key), "--passphrase-file", pw)
    assert ran.code == 0, ran.err
    assert "sign_pub" in ran.out and key.stat().st_mode & 0o077 == 0
    again = await bidhall("keys", "new", "--out", str(key), "--passphrase-file", pw)
    one_line_error(again, "exists")
    tok = await token(url, username)
    ran = await bidhall(
        "keys", "register", "--server", url, "--token", tok, "--key", str(key),
        "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert "keys registered" in ran.out
    cert = json.loads((tmp_path / f"{username}.key.cert.json").read_text())
    subject = verify_certificate(cert, rt.platform.sign_pub)
    assert subject["sign_pub"] == load_identity(key, PASS).public().to_dict()["sign_pub"]
    return key, tok


async def test_keys_seal_submit_and_verify_the_receipt(
    rt: Runtime, publish_lot: Any, live_server: str, bidhall: Any, tmp_path: Path
) -> None:
    url = live_server
    lot = await publish_lot()
    key, tok = await new_registered_key(rt, url, bidhall, tmp_path, "bidder-1")
    pw = passfile(tmp_path)
    doc = tmp_path / "技术标.txt"
    doc.write_text("独特的技术方案文本 unique-plaintext-marker\n" * 50, encoding="utf-8")
    sealed = tmp_path / "bid.bhe"
    uscc = await uscc_of(rt, "bidder-1")
    ran = await bidhall(
        "bid", "seal", "--key", str(key), "--lot", str(lot.id), "--bidder", uscc,
        "--server", url, "--price", PRICE, "--duration", "180", "--file", str(doc),
        "--out", str(sealed), "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert sealed.is_file() and (tmp_path / "bid.bhe.sig").is_file()
    assert b"unique-plaintext-marker" not in sealed.read_bytes()
    with sealed.open("rb") as fh:
        header = envelope.read_header(fh)
    assert (header.lot_id, header.bidder_id, header.version) == (f"lot-{lot.id}", uscc, 1)

    ran = await bidhall("bid", "submit", str(sealed), "--server", url, "--token", tok)
    assert ran.code == 0, ran.err
    assert f"to lot {lot.id}" in ran.out
    receipt_path = tmp_path / "bid.bhe.receipt.json"
    receipt = json.loads(receipt_path.read_text())
    assert receipt["size"] == sealed.stat().st_size
    async with rt.sessionmaker() as session:
        stored = await session.scalar(select(Bid).where(Bid.lot_id == lot.id))
        assert stored is not None and stored.receipt == receipt

    # Online (and with the transparency log once a head covers it) and offline.
    ran = await bidhall("receipt", "verify", str(receipt_path), "--server", url)
    assert ran.code == 0, ran.err
    assert "receipt valid" in ran.out and "not yet covered" in ran.out
    from trading.audit.heads import publish_tree_head

    async with rt.sessionmaker() as session:
        head = await publish_tree_head(session, rt.platform, rt.clock.now())
    ran = await bidhall("receipt", "verify", str(receipt_path), "--server", url)
    assert ran.code == 0 and f"in signed tree head of size {head.tree_size}" in ran.out
    pinned = (await httpx.AsyncClient(base_url=url).get("/api/v1/platform/key")).json()
    ran = await bidhall(
        "receipt", "verify", str(receipt_path), "--platform-key", pinned["sign_pub"]
    )
    assert ran.code == 0 and "receipt valid" in ran.out

    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**receipt, "size": receipt["size"] + 1}))
    ran = await bidhall("receipt", "verify", str(tampered), "--platform-key", pinned["sign_pub"])
    one_line_error(ran, "receipt signature invalid")
    ran = await bidhall("receipt", "verify", str(tmp_path / "nope.json"), "--server", url)
    one_line_error(ran, "cannot read")

    # A later version may be re-signed from the key instead of the .sig file; an older one
    # is refused by the server with its problem detail.
    v2 = tmp_path / "bid-v2.bhe"
    ran = await bidhall(
        "bid", "seal", "--key", str(key), "--lot", str(lot.id), "--bidder", uscc,
        "--opening-pub", lot.opening_pub or "", "--price", "8700000.00", "--duration", "170",
        "--version", "2", "--out", str(v2), "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    (tmp_path / "bid-v2.bhe.sig").unlink()
    ran = await bidhall(
        "bid", "submit", str(v2), "--server", url, "--token", tok, "--key", str(key),
        "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    ran = await bidhall("bid", "submit", str(sealed), "--server", url, "--token", tok)
    one_line_error(ran, "server refused (409)", "stale version")


async def test_submit_after_the_deadline_is_refused_in_one_line(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    lot = await publish_lot()
    key = key_path(rt, "bidder-2")
    pw = passfile(tmp_path, DEMO_PASSWORD)
    sealed = tmp_path / "late.bhe"
    ran = await bidhall(
        "bid", "seal", "--key", str(key), "--lot", str(lot.id),
        "--bidder", await uscc_of(rt, "bidder-2"), "--server", live_server,
        "--price", PRICE, "--duration", "90", "--out", str(sealed), "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    tok = await token(live_server, "bidder-2")
    clock.set(lot.bid_deadline)
    ran = await bidhall("bid", "submit", str(sealed), "--server", live_server, "--token", tok)
    one_line_error(ran, "server refused (409)", "deadline has passed")
    assert not (tmp_path / "late.bhe.receipt.json").exists()
    # Once the opening ran, sealing for the lot fails before anything is written.
    await run_opening(rt, lot.id)
    ran = await bidhall(
        "bid", "seal", "--key", str(key), "--lot", str(lot.id),
        "--bidder", await uscc_of(rt, "bidder-2"), "--server", live_server,
        "--price", PRICE, "--duration", "90", "--out", str(tmp_path / "x.bhe"),
        "--passphrase-file", pw,
    )  # fmt: skip
    one_line_error(ran, "not accepting bids")
    assert not (tmp_path / "x.bhe").exists()


async def test_open_own_all_or_nothing(
    rt: Runtime, publish_lot: Any, bidhall: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    key = key_path(rt, "bidder-3")
    pw = passfile(tmp_path, DEMO_PASSWORD)
    big = tmp_path / "图纸.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # several 1 MiB chunks
    sealed = tmp_path / "own.bhe"
    ran = await bidhall(
        "bid", "seal", "--key", str(key), "--lot", str(lot.id), "--bidder", "X1",
        "--opening-pub", lot.opening_pub or "", "--price", PRICE, "--duration", "60",
        "--file", str(big), "--out", str(sealed), "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err

    out = tmp_path / "opened"
    ran = await bidhall(
        "bid", "open-own", str(sealed), "--key", str(key), "--out", str(out),
        "--passphrase-file", pw,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert json.loads((out / "price_form.json").read_text())["price"] == PRICE
    assert (out / "files" / "图纸.bin").read_bytes() == big.read_bytes()
    one_line_error(
        await bidhall(
            "bid",
            "open-own",
            str(sealed),
            "--key",
            str(key),
            "--out",
            str(out),
            "--passphrase-file",
            pw,
        ),
        "not empty",
    )

    # Flip one byte in the last chunk: the first chunks decrypt, yet nothing is left behind.
    data = bytearray(sealed.read_bytes())
    data[-40] ^= 0x01
    bad = tmp_path / "bad.bhe"
    bad.write_bytes(bytes(data))
    wrong = passfile(tmp_path, "not-the-passphrase")
    before = listing(tmp_path)
    ran = await bidhall(
        "bid", "open-own", str(bad), "--key", str(key), "--out", str(tmp_path / "bad-out"),
        "--passphrase-file", pw,
    )  # fmt: skip
    one_line_error(ran, "bidhall: error:")
    assert listing(tmp_path) == before  # no output dir, no temp files

    # Wrong passphrase, missing key: one line each, nothing written.
    ran = await bidhall(
        "bid", "open-own", str(sealed), "--key", str(key), "--out", str(tmp_path / "o2"),
        "--passphrase-file", wrong,
    )  # fmt: skip
    one_line_error(ran, "wrong passphrase")
    ran = await bidhall(
        "bid", "open-own", str(sealed), "--key", str(tmp_path / "none.key"),
        "--out", str(tmp_path / "o3"), "--passphrase-file", pw,
    )  # fmt: skip
    one_line_error(ran, "key file not found")
    ran = await bidhall(
        "bid", "seal", "--key", str(key), "--lot", str(lot.id), "--bidder", "X1",
        "--opening-pub", lot.opening_pub or "", "--price", PRICE, "--duration", "60",
        "--file", str(tmp_path / "missing.pdf"), "--out", str(tmp_path / "m.bhe"),
        "--passphrase-file", pw,
    )  # fmt: skip
    one_line_error(ran, "file not found")
    assert listing(tmp_path) == before  # the failed runs wrote nothing


async def test_custody_release_only_at_the_opening(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    lot = await publish_lot()
    await bid(lot)
    async with rt.sessionmaker() as session:
        fresh = await session.get(Lot, lot.id)
        assert fresh is not None and fresh.custody is not None
        custody = fresh.custody
        names = [
            (await session.get(User, uid)).username  # type: ignore[union-attr]
            for uid in custody["custodians"]
        ]
    pw = passfile(tmp_path, DEMO_PASSWORD)

    async def release(username: str, *wait: str) -> Any:
        tok = await token(live_server, username)
        return await bidhall(
            "custody", "release", "--lot", str(lot.id), "--key", str(key_path(rt, username)),
            "--server", live_server, "--token", tok, "--passphrase-file", pw, *wait,
        )  # fmt: skip

    one_line_error(await release(names[0]), "server refused (409)", "only at the opening")
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    *first, last = names[: custody["threshold"]]
    for username in first:
        ran = await release(username)
        assert ran.code == 0, ran.err
        assert ran.out.strip().endswith("lot state: opening")
    # The k-th release is accepted (202) and followed on the hall's stream until it settles.
    ran = await release(last, "--wait")
    assert ran.code == 0, ran.err
    assert "lot state: opening" in ran.out
    assert ran.out.strip().endswith("the opening settled; lot state: opened")
    async with rt.sessionmaker() as session:
        statuses = set(
            (await session.scalars(select(Bid.status).where(Bid.lot_id == lot.id))).all()
        )
    assert statuses == {BidStatus.DECRYPTED}


async def key_count(rt: Runtime) -> int:
    async with rt.sessionmaker() as session:
        return len((await session.scalars(select(PartyKey))).all())


async def test_keys_api_rules(rt: Runtime, live_server: str) -> None:
    before = await key_count(rt)
    async with httpx.AsyncClient(base_url=live_server) as http:
        body = {"sign_pub": "AAAA", "enc_pub": "AAAA"}
        assert (await http.put("/api/v1/me/keys", json=body)).status_code == 401
        headers = {"Authorization": f"Bearer {await token(live_server, 'custodian-450100-1')}"}
        r = await http.put("/api/v1/me/keys", json=body, headers=headers)
        assert r.status_code == 422 and "sign_pub" in r.json()["detail"]
        r = await http.put("/api/v1/me/keys", json={**body, "extra": 1}, headers=headers)
        assert r.status_code == 400
        current = (await http.get("/api/v1/me/keys", headers=headers)).json()
        subject = verify_certificate(current["certificate"], rt.platform.sign_pub)
        assert subject["enc_pub"] == current["enc_pub"]
        assert b64u_decode(current["platform"]["sign_pub"]) == rt.platform.sign_pub
        page = await http.get("/transparency")
        assert page.status_code == 200 and current["platform"]["sign_pub"] in page.text
    assert await key_count(rt) == before  # refused requests register nothing
