"""签到 and who has acted at the opening: the bidder's own view, and the hall's public roster.

Check-in (电子办法 29: bidders attend the opening online) is a record of attendance, not a
condition for decryption: no rule makes it one, and refusing a bidder's own decryption for a
missed check-in would revoke a bid the law does not revoke (电子办法 31 speaks only of bids not
decrypted). It opens `checkin_window_minutes` before the opening and closes when it starts.

Before the opening nothing public says who checked in (or how many did: 招标投标法 22); once the
opening's snapshot exists the hall shows every bid by its position only (names come with the
record, 电子办法 30), whether its bidder checked in and whether the bid is still sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.opening.models import CheckIn, Opening, ReleasedShare
from bidding.opening.window import E_BIDDING, checkin_window, window_end
from bidding.submission.models import Bid, BidStatus
from bidding.submission.service import bidder_org
from trading.audit import service as audit
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, NotFound
from trading.kernel.runtime import Context
from trading.parties.secrecy import masked_bidder
from trading.projects.models import Lot
from trading.projects.publishing import effective_ruleset
from trading.projects.service import get_lot


@dataclass(frozen=True, slots=True)
class MyOpening:
    """What the signed-in bidder sees of its own part in the lot's opening."""

    lot_id: int
    has_bid: bool
    checkin_opens_at: datetime
    checked_in_at: datetime | None
    can_check_in: bool
    bid_status: str | None  # the bid's status (active = still sealed), None without a bid
    position: int | None  # its row in the hall's roster, once the opening started
    decrypt_ends_at: datetime | None
    can_decrypt: bool  # the window is open and its bid is still sealed

    def as_json(self) -> dict[str, Any]:
        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return {
            "lot_id": self.lot_id,
            "has_bid": self.has_bid,
            "checkin_opens_at": iso(self.checkin_opens_at),
            "checked_in_at": iso(self.checked_in_at),
            "can_check_in": self.can_check_in,
            "bid_status": self.bid_status,
            "position": self.position,
            "decrypt_ends_at": iso(self.decrypt_ends_at),
            "can_decrypt": self.can_decrypt,
        }


async def my_opening(
    session: AsyncSession, lot_id: int, actor: Actor, now: datetime, settings: Settings
) -> MyOpening:
    org = await bidder_org(session, actor)
    lot = await get_lot(session, lot_id, actor)
    bid = await session.scalar(
        select(Bid)
        .where(
            Bid.lot_id == lot.id,
            Bid.bidder_org_id == org.id,
            Bid.status.notin_([BidStatus.WITHDRAWN, BidStatus.REPLACED]),
        )
        .order_by(Bid.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    checked = await session.scalar(
        select(CheckIn.checked_in_at).where(CheckIn.lot_id == lot.id, CheckIn.org_id == org.id)
    )
    opens = lot.bid_deadline - checkin_window(
        effective_ruleset(lot.project, lot.project.center, settings)
    )
    opening = await session.get(Opening, lot.id, populate_existing=True)
    position = None
    ends = None
    if opening is not None:
        ends = window_end(opening)
        for i, row in enumerate(opening.bid_snapshot, start=1):
            if int(row["bidder_org_id"]) == org.id:
                position = i
    in_snapshot = position is not None
    sealed = bid is not None and bid.status == BidStatus.ACTIVE
    return MyOpening(
        lot_id=lot.id,
        has_bid=bid is not None and (opening is None or in_snapshot),
        checkin_opens_at=opens,
        checked_in_at=checked,
        can_check_in=(
            bid is not None
            and sealed
            and checked is None
            and lot.state == LotState.ANNOUNCED
            and opens <= now < lot.bid_deadline
        ),
        bid_status=bid.status if bid is not None else None,
        position=position,
        decrypt_ends_at=ends,
        can_decrypt=(
            lot.state == LotState.OPENING
            and in_snapshot
            and sealed
            and ends is not None
            and now < ends
        ),
    )


async def check_in(session: AsyncSession, lot_id: int, actor: Actor, ctx: Context) -> CheckIn:
    """签到: idempotent (a second check-in returns the first); refused before the check-in
    window and once the opening started; only with a bid on the lot."""
    org = await bidder_org(session, actor)
    lot = await get_lot(session, lot_id, actor)
    opens = lot.bid_deadline - checkin_window(
        effective_ruleset(lot.project, lot.project.center, ctx.settings)
    )
    existing = await session.scalar(
        select(CheckIn).where(CheckIn.lot_id == lot.id, CheckIn.org_id == org.id)
    )
    if existing is not None:
        return existing
    has_bid = await session.scalar(
        select(Bid.id).where(
            Bid.lot_id == lot.id, Bid.bidder_org_id == org.id, Bid.status == BidStatus.ACTIVE
        )
    )
    if has_bid is None:
        raise NotFound(
            "本单位在该标段没有投标，无需签到 / you have no bid on this lot to check in for"
        )
    center_id = lot.project.center_id
    try:
        async with writing(session):
            # The lot row, held like every admission does: a check-in commits before the
            # opening's snapshot or is refused, with the time read after any wait for the lock.
            row = (
                await session.execute(
                    select(Lot.state, Lot.bid_deadline).where(Lot.id == lot.id).with_for_update()
                )
            ).one()
            now = ctx.clock.now()
            if row.state != LotState.ANNOUNCED or now >= row.bid_deadline:
                raise Conflict(
                    f"开标已开始，签到已截止（{E_BIDDING} 第29条）"
                    " / the opening has started: check-in is closed"
                )
            if now < opens:
                raise Conflict(
                    f"签到于开标前 {int((row.bid_deadline - opens).total_seconds() // 60)} 分钟开始"
                    f"（{opens.isoformat()}，{E_BIDDING} 第29条）"
                    f" / check-in opens at {opens.isoformat()}",
                    detail={"opens_at": opens.isoformat()},
                )
            record = CheckIn(
                lot_id=lot.id, org_id=org.id, user_id=actor.user_id or 0, checked_in_at=now
            )
            session.add(record)
            await session.flush()
            # Before the opening the log names no bidder (招标投标法 22): its commitment does.
            masked, commitment = await masked_bidder(session, lot.id, org.uscc)
            await audit.append(
                session,
                masked,
                "opening.checked_in",
                "lot",
                lot.id,
                at=now,
                center_id=center_id,
                detail={"bidder": commitment},
            )
    except IntegrityError:
        # Two tabs at once: the constraint keeps one; answer with it.
        await session.rollback()
        found = await session.scalar(
            select(CheckIn).where(CheckIn.lot_id == lot_id, CheckIn.org_id == org.id)
        )
        if found is None:
            raise
        return found
    return record


async def roster(session: AsyncSession, lot: Lot, opening: Opening | None) -> dict[str, Any] | None:
    """The hall's public list of who has acted, by position only; None before the opening.

    Compact (lists of positions), as it travels in one event: a PostgreSQL NOTIFY holds 8000
    bytes."""
    if opening is None:
        return None
    snap = opening.bid_snapshot
    ids = [int(b["bid_id"]) for b in snap]
    status = dict((await session.execute(select(Bid.id, Bid.status).where(Bid.id.in_(ids)))).all())
    checked = set(await session.scalars(select(CheckIn.org_id).where(CheckIn.lot_id == lot.id)))
    released = set(
        await session.scalars(
            select(ReleasedShare.custodian_id).where(ReleasedShare.lot_id == lot.id)
        )
    )
    custodians = [int(u) for u in (lot.custody or {}).get("custodians", [])]
    by_status: dict[str, list[int]] = {
        s: [] for s in (BidStatus.ACTIVE, BidStatus.DECRYPTED, BidStatus.REVOKED, BidStatus.FAILED)
    }
    for i, b in enumerate(snap, start=1):
        by_status.setdefault(status.get(int(b["bid_id"]), BidStatus.ACTIVE), []).append(i)
    return {
        "decrypt_ends_at": window_end(opening).isoformat(),
        "bidders": len(snap),
        "checked_in": [
            i for i, b in enumerate(snap, start=1) if int(b["bidder_org_id"]) in checked
        ],
        "sealed": by_status[BidStatus.ACTIVE],
        "decrypted": by_status[BidStatus.DECRYPTED],
        "revoked": by_status[BidStatus.REVOKED],
        "failed": by_status[BidStatus.FAILED],
        "custodians": len(custodians),
        "released": [i for i, uid in enumerate(custodians, start=1) if uid in released],
    }


async def publish_roster(session: AsyncSession, lot_id: int) -> None:
    """After a commit that changed who has acted: the hall's roster, as absolute figures."""
    lot = await session.get(Lot, lot_id, populate_existing=True)
    opening = await session.get(Opening, lot_id, populate_existing=True)
    if lot is None or opening is None:
        return
    data = await roster(session, lot, opening)
    if data is not None:
        events.publish(lot_id, events.ROSTER, data)
