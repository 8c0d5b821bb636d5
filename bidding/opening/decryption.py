"""One bid at the opening: its envelope opened, its price form read with the one amount type, and
its outcome recorded by compare-and-set (decided once, whoever gets there first)."""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.record import SYSTEM_OPENER
from bidding.submission.models import Bid, BidStatus
from crypto import bundle, envelope
from crypto.errors import CryptoError
from crypto.labels import envelope_lot_id
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.db import writing
from trading.kernel.money import InputError, amount
from trading.kernel.runtime import Context
from trading.parties.models import Organization
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


def read_sealed_price_form(
    blobs: LocalBlobStore,
    bid: Bid,
    lot_id: str,
    bidder_id: str,
    *,
    priv: bytes | None = None,
    file_key: bytes | None = None,
) -> dict[str, Any]:
    """Open the envelope (authenticating every chunk) with the lot's opening key or the file key
    its bidder released, and read the price form inside it."""
    expect = {"expect_lot": lot_id, "expect_bidder": bidder_id, "expect_version": bid.version}
    with blobs.open(bid.ciphertext_sha256) as src, tempfile.TemporaryFile() as plain:
        if file_key is not None:
            envelope.open_with_file_key(src, plain, file_key=file_key, **expect)
        else:
            assert priv is not None
            envelope.open_envelope(src, plain, recipient_priv=priv, **expect)
        plain.seek(0)
        return bundle.read_price_form(plain)


async def decrypt_one(
    session: AsyncSession, lot: Lot, bid: Bid, org: Organization, priv: bytes, ctx: Context
) -> None:
    status, price, form, cause = BidStatus.DECRYPTED, None, None, ""
    if not ctx.blobs.exists(bid.ciphertext_sha256):
        # Lost by the platform: 撤回 (withdrawn), not the bidder's fault (电子办法 31).
        status, cause = BidStatus.FAILED, "sealed file missing from the platform store"
    else:
        try:
            # A multi-GB bid takes seconds: decrypt off the event loop so the hall stays live.
            form = await asyncio.to_thread(
                read_sealed_price_form,
                ctx.blobs,
                bid,
                envelope_lot_id(lot.id),
                org.uscc,
                priv=priv,
            )
            price = price_of(form)
        except (CryptoError, ValueError) as exc:
            status, cause = BidStatus.REVOKED, str(exc)
    await record_outcome(session, lot, bid, (status, price, form, cause), SYSTEM_OPENER, ctx)


async def record_outcome(
    session: AsyncSession,
    lot: Lot,
    bid: Bid,
    outcome: tuple[str, Decimal | None, dict[str, Any] | None, str],
    actor: Actor,
    ctx: Context,
) -> bool:
    """Decide one bid by compare-and-set: False (and nothing written) if it was decided first."""
    status, price, form, cause = outcome
    async with writing(session):
        result = await session.execute(
            update(Bid)
            .where(Bid.id == bid.id, Bid.status == BidStatus.ACTIVE)
            .values(
                status=status,
                price=price,
                price_form=form,
                failure_cause=cause,
                decrypted_at=ctx.now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await audit.append(
            session,
            actor,
            "opening.bid_" + status,
            "lot",
            lot.id,
            at=ctx.now,
            center_id=lot.project.center_id,
            detail={"bid_id": bid.id, "sha256": bid.ciphertext_sha256, "cause": cause},
        )
    return True
