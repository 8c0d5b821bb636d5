"""What evaluation reads of bidding: the one module it may import, so bidding's tables can
change behind it without touching the evaluation packages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.models import Opening
from bidding.participation.models import Notice, Registration
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


async def opened_price_forms(session: AsyncSession, lot_id: int) -> dict[int, dict[str, Any]]:
    """The decrypted price forms (报价表) of the lot's opened bids, by bid id."""
    rows = await session.execute(
        select(Bid.id, Bid.price_form).where(
            Bid.lot_id == lot_id, Bid.status == BidStatus.DECRYPTED
        )
    )
    return {bid_id: form or {} for bid_id, form in rows.all()}


@dataclass(frozen=True)
class OpeningBidder:
    """A bidder whose bid the opening decided (decrypted, revoked or failed): who is told the
    award's result."""

    bid_id: int
    org_id: int
    name: str
    uscc: str


async def opening_bidders(session: AsyncSession, lot_id: int) -> list[OpeningBidder]:
    rows = await session.execute(
        select(Bid.id, Organization.id, Organization.name, Organization.uscc)
        .join(Organization, Bid.bidder_org_id == Organization.id)
        .where(
            Bid.lot_id == lot_id,
            Bid.status.in_([BidStatus.DECRYPTED, BidStatus.REVOKED, BidStatus.FAILED]),
        )
        .order_by(Bid.id)
    )
    return [OpeningBidder(*row) for row in rows.all()]


async def opening_record(session: AsyncSession, lot_id: int) -> dict[str, Any] | None:
    """The signed opening record ({record, signature, key_id}) once published."""
    return await session.scalar(select(Opening.record).where(Opening.lot_id == lot_id))


async def participant_usccs(session: AsyncSession, lot_id: int) -> set[str]:
    """Every organization registered for the lot or with a bid on it: whom an expert drawn for
    the lot must not work for (conflict avoidance)."""
    registered = (
        select(Organization.uscc)
        .join(Registration, Registration.bidder_org_id == Organization.id)
        .where(Registration.lot_id == lot_id)
    )
    bidding = (
        select(Organization.uscc)
        .join(Bid, Bid.bidder_org_id == Organization.id)
        .where(Bid.lot_id == lot_id)
    )
    return set((await session.scalars(registered.union(bidding))).all())


async def notify_bidder(
    session: AsyncSession, lot_id: int, org_id: int, kind: str, text: str, now: datetime
) -> None:
    """Inside the caller's write transaction: one line in the bidder's notices (its workspace
    inbox): evaluation's way to tell a bidder, e.g. of a clarification request."""
    session.add(Notice(lot_id=lot_id, bidder_org_id=org_id, kind=kind, text=text, created_at=now))


async def decided_lots(session: AsyncSession, org_id: int) -> list[int]:
    """The lots where the organization had a bid the opening decided (decrypted, revoked or
    failed): the lots whose result it is told (evaluation.outcome)."""
    rows = await session.scalars(
        select(Bid.lot_id)
        .where(
            Bid.bidder_org_id == org_id,
            Bid.status.in_([BidStatus.DECRYPTED, BidStatus.REVOKED, BidStatus.FAILED]),
        )
        .distinct()
    )
    return sorted(rows.all())
