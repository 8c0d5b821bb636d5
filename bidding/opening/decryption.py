"""Bids at the opening: each envelope opened and its price form read with the one amount type
(in a worker thread), outcomes recorded in batches by compare-and-set (each bid decided once,
whoever gets there first)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.submission.models import Bid, BidStatus
from crypto import bundle, envelope
from crypto.errors import CryptoError
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.money import InputError, amount
from trading.kernel.runtime import Context
from trading.projects.models import Lot


def price_of(form: dict[str, Any]) -> Decimal:
    """The sealed price, read with the one amount type: what is stored is what is published."""
    raw = form.get("price")
    if not isinstance(raw, str):
        raise ValueError("price form has no price string")
    try:
        return amount(raw, "price")
    except InputError as exc:
        raise ValueError(f"price {raw[:40]!r}: {exc.reason}") from exc


@dataclass(frozen=True)
class Sealed:
    """What opening one bid needs, detached from the session (read in worker threads)."""

    id: int
    version: int
    sha256: str
    bidder_uscc: str

    @classmethod
    def of(cls, bid: Bid, uscc: str) -> Sealed:
        return cls(bid.id, bid.version, bid.ciphertext_sha256, uscc)


Outcome = tuple[str, Decimal | None, dict[str, Any] | None, str]


def read_sealed_price_form(
    blobs: LocalBlobStore,
    bid: Sealed,
    lot_id: str,
    *,
    priv: bytes | None = None,
    file_key: bytes | None = None,
) -> dict[str, Any]:
    """Open the envelope (authenticating every chunk) with the lot's opening key or the file key
    its bidder released, and read the price form inside it."""
    expect = {"expect_lot": lot_id, "expect_bidder": bid.bidder_uscc, "expect_version": bid.version}
    with blobs.open(bid.sha256) as src, tempfile.TemporaryFile() as plain:
        if file_key is not None:
            envelope.open_with_file_key(src, plain, file_key=file_key, **expect)
        else:
            assert priv is not None
            envelope.open_envelope(src, plain, recipient_priv=priv, **expect)
        plain.seek(0)
        return bundle.read_price_form(plain)


def decide(blobs: LocalBlobStore, bid: Sealed, lot_id: str, priv: bytes) -> Outcome:
    """One bid's outcome with the opening key; blocking (file I/O, decryption): run in a thread."""
    if not blobs.exists(bid.sha256):
        # Lost by the platform: 撤回 (withdrawn), not the bidder's fault (电子办法 31).
        return BidStatus.FAILED, None, None, "sealed file missing from the platform store"
    try:
        form = read_sealed_price_form(blobs, bid, lot_id, priv=priv)
    except CryptoError as exc:
        return BidStatus.REVOKED, None, None, str(exc)
    return judge(form)


def decide_all(
    blobs: LocalBlobStore, bids: Sequence[Sealed], lot_id: str, priv: bytes
) -> list[Outcome]:
    return [decide(blobs, bid, lot_id, priv) for bid in bids]


_stores: dict[Path, LocalBlobStore] = {}


def decide_all_at(root: Path, bids: Sequence[Sealed], lot_id: str, priv: bytes) -> list[Outcome]:
    """`decide_all` in a worker process: the store travels as its root (its locks don't pickle)."""
    store = _stores.get(root)
    if store is None:
        store = _stores[root] = LocalBlobStore(root)
    return decide_all(store, bids, lot_id, priv)


def ready() -> bool:
    """Submitted once per worker at start-up: importing this module is the warm-up."""
    return True


def judge(form: dict[str, Any]) -> Outcome:
    """An authentic price form's outcome: decrypted, or revoked when its price is unusable."""
    try:
        return BidStatus.DECRYPTED, price_of(form), form, ""
    except ValueError as exc:  # authentic, but the bidder's own price form is unusable
        return BidStatus.REVOKED, None, form, str(exc)


async def record_outcomes(
    session: AsyncSession,
    lot: Lot,
    decided: Sequence[tuple[Sealed, Outcome]],
    actor: Actor,
    ctx: Context,
) -> list[int]:
    """Inside the caller's write transaction: decide bids by compare-and-set, with their audit
    entries; the ids decided here (a bid decided first elsewhere is skipped, writes nothing)."""
    if not decided:
        return []
    # Held until commit (PostgreSQL row locks; SQLite's one writer): still active when read
    # here means still active when updated below.
    active = set(
        await session.scalars(
            select(Bid.id)
            .where(Bid.id.in_([b.id for b, _ in decided]), Bid.status == BidStatus.ACTIVE)
            .with_for_update()
        )
    )
    todo = [(b, o) for b, o in decided if b.id in active]
    if not todo:
        return []
    table = Bid.__table__
    await session.execute(
        update(table).where(table.c.id == bindparam("b_id"), table.c.status == BidStatus.ACTIVE),
        [
            {
                "b_id": b.id,
                "status": status,
                "price": price,
                "price_form": form,
                "failure_cause": cause,
                "decrypted_at": ctx.now,
            }
            for b, (status, price, form, cause) in todo
        ],
    )
    await audit.append_many(
        session,
        [
            audit.Entry(
                actor,
                "opening.bid_" + status,
                "lot",
                lot.id,
                at=ctx.now,
                center_id=lot.project.center_id,
                detail={"bid_id": b.id, "sha256": b.sha256, "cause": cause},
            )
            for b, (status, _price, _form, cause) in todo
        ],
    )
    return [b.id for b, _ in todo]
