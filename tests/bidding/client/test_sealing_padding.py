"""Issue 9 item 6: the sealed size says nothing about the price. Bids sealed by the bidder
client differ in size only through their files; the opening decrypts padded bids, and bids
sealed in the old unpadded bundle format (already stored before the change) still open."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.client.sealing import seal_bid
from bidding.opening.flows import run_opening
from bidding.opening.models import Opening
from bidding.submission import service as submission
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import demo_identity, release_shares
from bidhall.demo.accounts import demo_user
from crypto import bundle, envelope, receipts, signing
from crypto.canonical import canonical_json
from crypto.encoding import b64u_decode, b64u_encode
from crypto.keys import Identity, generate_identity
from crypto.labels import BIDDER_LABEL, OPENING_LABEL, envelope_lot_id
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.blobs import iter_file
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects.models import Lot

PRICES = ["0.01", "99.00", "937251.46", "12345678.90", "9999999999999.99"]
LOT, BIDDER = "450100-2025-0001-1", "91450100MA0000002X"


def _seal_all(
    identity: Identity, opening_pub: bytes, tmp: Path, files: list[tuple[str, Path]]
) -> list[int]:
    sizes = []
    for i, price in enumerate(PRICES):
        form = bundle.make_price_form(price=price, duration_days=365, quality="合格")
        sealed = seal_bid(
            identity,
            lot_id=LOT,
            bidder_id=BIDDER,
            version=1,
            opening_pub=opening_pub,
            price_form=form,
            files=files,
            out=tmp / f"{i}.sealed",
        )
        assert sealed.size == (tmp / f"{i}.sealed").stat().st_size
        sizes.append(sealed.size)
    return sizes


def test_client_sealed_bids_differing_only_in_price_have_one_size(tmp_path: Path) -> None:
    identity = generate_identity()
    opening = generate_identity()
    doc = tmp_path / "技术标.pdf"
    doc.write_bytes(b"%PDF-1.7 technical proposal " * 999)
    with_file = _seal_all(identity, opening.enc_pub, tmp_path, [("技术标.pdf", doc)])
    assert len(set(with_file)) == 1, with_file
    bare = _seal_all(identity, opening.enc_pub, tmp_path, [])
    assert len(set(bare)) == 1, bare
    # What still moves the size is the files (documented in docs/envelope.md).
    assert with_file[0] - bare[0] >= doc.stat().st_size
    # Each bid of that one size opens to its own price, with the opening key and the bidder's.
    for i, price in enumerate(PRICES):
        for priv in (opening.enc_priv, identity.enc_priv):
            plain = envelope.open_bytes(
                (tmp_path / f"{i}.sealed").read_bytes(), recipient_priv=priv
            )
            assert bundle.read_price_form(io.BytesIO(plain))["price"] == price


def _legacy_sealed(
    identity: Identity, *, lot_id: str, bidder_id: str, opening_pub: bytes, price: str, out: Path
) -> str:
    """A bid as the client sealed it before padding (bundle format 1); returns its signature."""
    body = "旧格式技术标".encode()
    manifest = canonical_json(
        {
            "type": "bidhall-bundle",
            "v": 1,
            "price_form": {"price": price, "duration_days": 180, "quality": "合格"},
            "files": [
                {
                    "name": "技术标.txt",
                    "size": len(body),
                    "sha256": hashlib.sha256(body).hexdigest(),
                }
            ],
        }
    )
    plain = b"BHBNDL\x00\x01" + struct.pack(">I", len(manifest)) + manifest + body
    with out.open("wb") as dst:
        result = envelope.seal(
            io.BytesIO(plain),
            dst,
            lot_id=lot_id,
            bidder_id=bidder_id,
            version=1,
            recipients=[(OPENING_LABEL, opening_pub), (BIDDER_LABEL, identity.enc_pub)],
        )
    message = receipts.submission_message(
        lot_id, bidder_id, 1, result.header_sha256, result.ciphertext_sha256
    )
    return b64u_encode(signing.sign(identity.sign_priv, message))


async def test_opening_decrypts_padded_bids_and_old_unpadded_ones(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, tmp_path: Path
) -> None:
    lot: Lot = await publish_lot(title="报价长度不泄露工程")
    assert lot.opening_pub is not None
    await bid(lot, {"bidder-2": "8950000.00", "bidder-3": "9230000.00"})  # padded (format 2)
    # bidder-1's bid was sealed and stored before the change: format 1, no padding.
    user = await demo_user(rt, "bidder-1")
    async with rt.sessionmaker() as session:
        org = await session.get(Organization, user.org_id)
        assert org is not None
        out = tmp_path / "legacy.sealed"
        signature = _legacy_sealed(
            demo_identity(rt, "bidder-1"),
            lot_id=envelope_lot_id(lot.id),
            bidder_id=org.uscc,
            opening_pub=b64u_decode(lot.opening_pub, length=32),
            price="9100000.00",
            out=out,
        )
        staged = await rt.blobs.stage(iter_file(out), max_size=submission.MAX_BID_BYTES)
        await submission.submit_bid(
            session, lot.id, actor_for(user), staged, signature, rt.context()
        )

    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    async with rt.sessionmaker() as session:
        bids = list(await session.scalars(select(Bid).where(Bid.lot_id == lot.id)))
        opening = await session.get(Opening, lot.id)
    assert {b.status for b in bids} == {BidStatus.DECRYPTED}
    assert sorted(str(b.price) for b in bids) == ["8950000.00", "9100000.00", "9230000.00"]
    assert opening is not None and opening.record is not None
    assert sorted(r["price"] for r in opening.record["record"]["rows"]) == [
        "8950000.00",
        "9100000.00",
        "9230000.00",
    ]
