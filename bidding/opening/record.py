"""The signed opening record: built from the stored outcomes once every bid is decided."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.hall.service import objection_window
from bidding.opening.models import CheckIn, Opening, OpeningReview
from bidding.submission.admission import platform_key_id
from bidding.submission.models import Bid, BidStatus
from crypto import signing
from crypto.canonical import canonical_json
from crypto.encoding import b64u_decode, b64u_encode
from crypto.labels import bidder_commitment
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.runtime import Context
from trading.parties.models import Organization
from trading.parties.secrecy import revealed_salt
from trading.projects import lifecycle
from trading.projects.models import Lot

SYSTEM_OPENER = Actor(user_id=None, name="opening", roles=frozenset({"system"}))


async def publish_record(
    session: AsyncSession, lot: Lot, opening: Opening, ctx: Context
) -> LotState:
    # Exactly the snapshot's bids, as stored (re-read, so the record is what the database holds).
    bids = list(
        await session.scalars(
            select(Bid)
            .where(
                Bid.id.in_([row["bid_id"] for row in opening.bid_snapshot]),
                Bid.status.in_([BidStatus.DECRYPTED, BidStatus.REVOKED, BidStatus.FAILED]),
            )
            .order_by(Bid.received_at, Bid.id)
            .execution_options(populate_existing=True)
        )
    )
    orgs = {
        o.id: o
        for o in await session.scalars(
            select(Organization).where(Organization.id.in_({b.bidder_org_id for b in bids}))
        )
    }
    salt = await revealed_salt(session, lot.id)
    checked_in = dict(
        (
            await session.execute(
                select(CheckIn.org_id, CheckIn.checked_in_at).where(CheckIn.lot_id == lot.id)
            )
        ).all()
    )
    rows = [
        {
            "bid_id": b.id,
            "bidder": orgs[b.bidder_org_id].name,
            "uscc": orgs[b.bidder_org_id].uscc,
            # Matches the commitment that named this bidder in the log before the opening.
            "bidder_commitment": (
                bidder_commitment(b64u_decode(salt, length=32), orgs[b.bidder_org_id].uscc)
                if salt
                else None
            ),
            "price": str(b.price) if b.price is not None else None,
            "price_form": b.price_form or {},
            "sha256": b.ciphertext_sha256,
            "outcome": b.status,
            "cause": b.failure_cause,
            # 签到 (电子办法 29): attendance on the record, no condition for decryption.
            "checked_in_at": (
                checked_in[b.bidder_org_id].isoformat() if b.bidder_org_id in checked_in else None
            ),
        }
        for b in bids
    ]
    record = {
        "lot_id": lot.id,
        "lot": f"{lot.project.code}/{lot.number}",
        "opened_at": ctx.now.isoformat(),
        # The bidders' decryption window (电子办法 30); bids still sealed at its end were decided
        # under 电子办法 31, each row's cause saying why.
        "decrypt_ends_at": (
            opening.decrypt_ends_at.isoformat() if opening.decrypt_ends_at else None
        ),
        "control_price": str(lot.control_price) if lot.control_price is not None else None,
        # Revealed now: anyone can match the log's pre-opening commitments to the bidders.
        "bidder_salt": salt,
        "rows": rows,
    }
    signature = signing.sign(ctx.platform.sign_priv, canonical_json(record))
    async with writing(session):
        opening.record = {
            "record": record,
            "signature": b64u_encode(signature),
            "key_id": platform_key_id(ctx.platform),
        }
        opening.completed_at = ctx.now
        session.add(opening)
        # The bidders' confirmation/objection window (条例 44) starts with the record.
        session.add(
            OpeningReview(lot_id=lot.id, window_ends_at=ctx.now + objection_window(ctx.settings))
        )
        await lifecycle.move(
            session,
            lot,
            LotState.OPENED,
            SYSTEM_OPENER,
            now=ctx.now,
            action="opening.record_published",
            center_id=lot.project.center_id,
            detail={"record_sha256": signing_digest(record)},
        )
    events.publish(lot.id, events.STATE, {"state": LotState.OPENED})
    events.publish(lot.id, events.RECORD, opening.record)
    return LotState.OPENED


def signing_digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()
