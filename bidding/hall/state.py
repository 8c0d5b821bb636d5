"""What the opening hall shows at a moment, read from the database (the source of truth).

The snapshot is the same for every viewer and holds nothing that is not yet public:
before the record is published it has counts and progress only, never a bidder's
name or price (电子办法 29–30); the record and the responses appear with the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.hall import service as objections
from bidding.opening.attendance import roster
from bidding.opening.models import Opening, ReleasedShare
from bidding.submission.models import Bid, BidStatus
from trading.kernel.config import Settings
from trading.projects.models import Lot

DONE = (BidStatus.DECRYPTED, BidStatus.REVOKED, BidStatus.FAILED)


async def snapshot(
    session: AsyncSession, lot: Lot, settings: Settings, now: datetime
) -> dict[str, Any]:
    custody = lot.custody or {}
    released = await session.scalar(
        select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot.id)
    )
    opening = await session.get(Opening, lot.id)
    bids: int | None = None  # how many bids there are is secret until the opening (条例 22)
    done = 0
    if opening is not None:
        ids = [int(b["bid_id"]) for b in opening.bid_snapshot]
        bids = len(ids)
        if ids:
            done = (
                await session.scalar(
                    select(func.count(Bid.id)).where(Bid.id.in_(ids), Bid.status.in_(DONE))
                )
                or 0
            )
    published = opening is not None and opening.record is not None
    state: dict[str, Any] = {
        "lot_id": lot.id,
        "state": lot.state,
        "now": now.isoformat(),
        "deadline": lot.bid_deadline.isoformat(),
        "failure_reason": lot.failure_reason or None,
        "custody": {
            "released": released or 0,
            "threshold": int(custody.get("threshold", 0)),
            "custodians": len(custody.get("custodians", [])),
        },
        "key_recovered": opening is not None and opening.key_recovered_at is not None,
        "bids": bids,
        "decrypt": {"done": done, "total": bids or 0},
        "presence": events.presence.counts(lot.id),
        "record": None,
        "responses": [],
        "window_ends_at": None,
        "online": [],
        # Who has acted and the decryption window's end, once the opening started.
        "roster": await roster(session, lot, opening),
    }
    if published:
        assert opening is not None and opening.record is not None
        state["record"] = opening.record
        state["responses"] = await objections.responses(session, lot.id)
        state["window_ends_at"] = (
            await objections.window_end(session, opening, settings)
        ).isoformat()
        state["online"] = online_usccs(org_usccs(opening), lot.id)
    return state


def org_usccs(opening: Opening) -> dict[int, str]:
    """Bidder organisation id → USCC, from the record (so only once it is published)."""
    if opening.record is None:
        return {}
    by_bid = {int(r["bid_id"]): r["uscc"] for r in opening.record["record"]["rows"]}
    return {
        int(b["bidder_org_id"]): by_bid[int(b["bid_id"])]
        for b in opening.bid_snapshot
        if int(b["bid_id"]) in by_bid
    }


def online_usccs(usccs: dict[int, str], lot_id: int) -> list[str]:
    """The lot's bidders watching the hall now (names may be shown once the record is out)."""
    return sorted(usccs[o] for o in events.presence.bidder_orgs(lot_id) if o in usccs)
