"""Attack: a bidder seals a price the platform cannot store. The lot still opens; that bid alone
is revoked with its cause, and the signed record says exactly what the database holds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bidding.opening import flows
from bidding.opening.models import Opening
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import release_shares
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization

HOSTILE = {
    "bidder-1": "1E+30",  # overflowed numeric(18,2) on PostgreSQL and stalled the opening
    "bidder-2": "NaN",
    "bidder-3": "10000000000000.00",  # one digit beyond what both databases keep exactly
    "bidder-4": "9999999999999.99",  # the largest amount: opens, stored and published alike
}


async def test_unstorable_prices_are_revoked_and_the_lot_opens(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot, HOSTILE)
    clock.set(lot.bid_deadline)
    assert await flows.run_opening(rt, lot.id) == LotState.OPENING
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED

    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
        assert opening is not None and opening.record is not None
        stored = {
            org.uscc: bid
            for bid, org in (
                await session.execute(
                    select(Bid, Organization)
                    .join(Organization, Organization.id == Bid.bidder_org_id)
                    .where(Bid.lot_id == lot.id)
                )
            ).all()
        }
    rows = {row["uscc"]: row for row in opening.record["record"]["rows"]}
    assert rows.keys() == stored.keys() and len(rows) == 4
    outcomes = {row["outcome"] for row in rows.values()}
    assert outcomes == {BidStatus.REVOKED, BidStatus.DECRYPTED}
    for uscc, row in rows.items():
        bid_row = stored[uscc]
        assert row["outcome"] == bid_row.status
        assert row["cause"] == bid_row.failure_cause
        # Record and database agree digit for digit.
        assert row["price"] == (None if bid_row.price is None else str(bid_row.price))
    revoked = [row for row in rows.values() if row["outcome"] == BidStatus.REVOKED]
    assert len(revoked) == 3 and all(row["price"] is None and row["cause"] for row in revoked)
    (honest,) = [row for row in rows.values() if row["outcome"] == BidStatus.DECRYPTED]
    assert Decimal(honest["price"]) == Decimal("9999999999999.99")
