"""No plaintext before the opening: after bids are submitted and before the deadline, a copy
of the whole database (every row of every table as text, and on SQLite the raw files with
their WAL) and of every blob and key file holds no price, no document text, no price form
and not the lot's opening private key. After the opening, the same search finds them: the
search would have caught a leak."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import inspect, select, text

from bidding.opening.flows import run_opening
from bidding.opening.models import Opening
from bidhall.demo import DEMO_PASSWORD, key_path, release_shares
from crypto.canonical import canonical_json
from crypto.encoding import b64u_decode
from trading.auth.models import User
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects.models import Lot

BIDS = {  # username -> (price, distinctive document text, distinctive quality commitment)
    "bidder-1": ("7654321.98", "绝密技术方案甲 canary-doc-5c1e9d", "质量承诺甲 canary-q-71be"),
    "bidder-2": ("6543210.87", "绝密技术方案乙 canary-doc-a04f22", "质量承诺乙 canary-q-93dd"),
    "bidder-3": ("5432109.76", "绝密技术方案丙 canary-doc-6b7e10", "质量承诺丙 canary-q-0c5a"),
}


async def rows_as_text(rt: Runtime) -> bytes:
    """SELECT every row of every table, each value as text: a pg_dump-free database copy."""
    async with rt.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        parts: list[str] = []
        for table in sorted(tables):
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))
            for row in result:
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value).hex())
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(json.dumps(value, ensure_ascii=False, default=str))
                        parts.append(str(value))
    return "\n".join(parts).encode("utf-8")


def files_bytes(root: Path) -> dict[str, bytes]:
    """Every file under the platform's data root: database (+ WAL), blobs, keys."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def encodings(secret: str | bytes) -> list[bytes]:
    """The forms a value could take when stored: raw, UTF-8, JSON-escaped, hex, base64."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    forms = [raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)]
    forms.append(base64.urlsafe_b64encode(raw).rstrip(b"="))
    if isinstance(secret, str):
        forms.append(json.dumps(secret).strip('"').encode())  # \uXXXX escapes
        forms.append(secret.encode("utf-16-le"))
    return forms


def leaks(haystacks: dict[str, bytes], secrets: dict[str, str | bytes]) -> list[str]:
    found = []
    for what, secret in secrets.items():
        for form in encodings(secret):
            for where, data in haystacks.items():
                if form in data:
                    found.append(f"{what} in {where}")
    return found


async def test_no_bid_plaintext_or_opening_key_before_the_opening(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    lot = await publish_lot()
    pw = tmp_path / "pw.txt"
    pw.write_text(DEMO_PASSWORD)
    forms: dict[str, str] = {}
    for username, (price, doc_text, quality) in BIDS.items():
        doc = tmp_path / f"{username}-技术标.txt"
        doc.write_text(doc_text * 40, encoding="utf-8")
        form_file = tmp_path / f"{username}-form.json"
        form = {"price": price, "duration_days": 180, "quality": quality, "currency": "CNY"}
        form_file.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
        forms[username] = canonical_json(form).decode("utf-8")
        async with httpx.AsyncClient(base_url=live_server) as http:
            r = await http.post(
                "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
            )
            tok = r.json()["token"]
        sealed = tmp_path / f"{username}.bhe"
        async with rt.sessionmaker() as session:
            org = await session.scalar(
                select(Organization)
                .join(User, User.org_id == Organization.id)
                .where(User.username == username)
            )
            assert org is not None
        ran = await bidhall(
            "bid", "seal", "--key", str(key_path(rt, username)), "--lot", str(lot.id),
            "--bidder", org.uscc, "--server", live_server, "--price-form", str(form_file),
            "--file", str(doc), "--out", str(sealed), "--passphrase-file", str(pw),
        )  # fmt: skip
        assert ran.code == 0, ran.err
        ran = await bidhall("bid", "submit", str(sealed), "--server", live_server, "--token", tok)
        assert ran.code == 0, ran.err

    clock.set(lot.bid_deadline - timedelta(seconds=1))  # the last moment before the opening
    root = rt.settings.blob_dir.parent
    snapshot = files_bytes(root)
    snapshot["database rows"] = await rows_as_text(rt)
    assert any(name.startswith("blobs/") for name in snapshot)  # the sealed bids are there
    async with rt.sessionmaker() as session:
        stored = await session.get(Lot, lot.id)
        assert stored is not None and stored.custody is not None
        custody = stored.custody
        assert await session.get(Opening, lot.id) is None
    # The lot keeps only the public key and the custody bundle (wrapped key, sealed shares).
    assert set(custody) == {"bundle", "custodians", "threshold"}
    assert "opening_priv" not in json.dumps(custody)

    secrets: dict[str, str | bytes] = {}
    for username, (price, doc_text, quality) in BIDS.items():
        secrets |= {
            f"{username} price": price,
            f"{username} price digits": price.replace(".", ""),
            f"{username} document": doc_text,
            f"{username} quality": quality,
            f"{username} price form": forms[username],
        }
    assert leaks(snapshot, secrets) == []

    # Open the lot; now the same search finds every secret, and the key, in the new copy.
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    assert await release_shares(rt, lot.id, lambda _m: None) == "opened"
    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
        assert opening is not None and opening.opening_priv is not None
        opening_priv = b64u_decode(opening.opening_priv, length=32)
    assert leaks(snapshot, {"opening private key": opening_priv}) == []
    after = {"database rows": await rows_as_text(rt)}
    for username, (price, _doc, quality) in BIDS.items():
        assert leaks(after, {"price": price, "quality": quality}), username
    assert leaks(after, {"opening private key": opening_priv})
