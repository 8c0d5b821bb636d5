"""What evaluation reads of bidding: the one module it may import, so bidding's tables can
change behind it without touching the evaluation packages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.submission.models import Bid, BidStatus
from trading.parties.models import Organization


@dataclass(frozen=True)
class OpenedBid:
    """A bid the opening decrypted: who offered what (the record's values, as stored)."""

    bid_id: int
    bidder: str
    price: Decimal
    sme: bool


async def opened_bids(session: AsyncSession, lot_id: int) -> list[OpenedBid]:
    rows = await session.execute(
        select(Bid.id, Organization.name, Bid.price, Organization.sme)
        .join(Organization, Bid.bidder_org_id == Organization.id)
        .where(Bid.lot_id == lot_id, Bid.status == BidStatus.DECRYPTED)
        .order_by(Bid.id)
    )
    return [OpenedBid(bid_id, name, price, sme) for bid_id, name, price, sme in rows.all()]
