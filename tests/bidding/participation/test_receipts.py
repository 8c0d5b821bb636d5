"""The receipt downloads of the bidder lot page: the caller's own bid only (another bidder's is
404, staff and anonymous are refused); the PDF has the Chinese text and the same bytes on every
download; the JSON is the signed receipt itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.submission.models import Bid
from bidhall.demo.accounts import demo_user
from crypto.receipts import verify_receipt
from tests.bidding.hall.conftest import web_login
from tests.support.clients import Client, bearer
from trading.kernel.runtime import Runtime


def pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout


async def bid_of(rt: Runtime, lot_id: int, username: str) -> Bid:
    user = await demo_user(rt, username)
    async with rt.sessionmaker() as session:
        bid = await session.scalar(
            select(Bid).where(Bid.lot_id == lot_id, Bid.bidder_org_id == user.org_id)
        )
    assert bid is not None
    return bid


async def test_receipts_are_the_bidders_own(
    rt: Runtime, client: Client, publish_lot: Any, bid: Any, tmp_path: Path
) -> None:
    lot = await publish_lot(title="回执下载测试工程")
    other = await publish_lot(title="另一个标段")
    await bid(lot)
    mine, theirs = await bid_of(rt, lot.id, "bidder-1"), await bid_of(rt, lot.id, "bidder-2")
    base = f"/bidder/lots/{lot.id}/bids"

    await web_login(client, "bidder-1")
    first = await client.get(f"{base}/{mine.id}/receipt.pdf")
    second = await client.get(f"{base}/{mine.id}/receipt.pdf")
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert first.content.startswith(b"%PDF") and first.content == second.content
    path = tmp_path / "receipt.pdf"
    path.write_bytes(first.content)
    text = pdf_text(path)
    assert "投标文件递交回执" in text and "回执下载测试工程" in text
    assert mine.receipt["ciphertext_sha256"] in text.replace("\n", "")
    signed = await client.get(f"{base}/{mine.id}/receipt.json")
    assert signed.status_code == 200 and signed.json() == mine.receipt
    verify_receipt(signed.json(), rt.platform.sign_pub)

    # Another bidder's bid, or this bid under another lot's path: not found.
    for path_ in (f"{base}/{theirs.id}/receipt.pdf", f"{base}/{theirs.id}/receipt.json"):
        assert (await client.get(path_)).status_code == 404
    wrong = f"/bidder/lots/{other.id}/bids/{mine.id}/receipt.json"
    assert (await client.get(wrong)).status_code == 404

    # Staff (no bidder role) and anonymous callers are refused.
    client.cookies.clear()
    staff = await bearer(client, "staff-450100")
    assert (await client.get(f"{base}/{mine.id}/receipt.pdf", headers=staff)).status_code == 403
    anonymous = await client.get(f"{base}/{mine.id}/receipt.json", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
