"""The lot state machine of DESIGN.md, as data, and the one compare-and-set that moves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.enums import LotState as S
from trading.kernel.actor import Actor
from trading.kernel.cache import invalidate_on_commit
from trading.kernel.clock import Clock
from trading.kernel.errors import Conflict
from trading.projects.models import Lot
from trading.reports import tally

ALLOWED: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.ANNOUNCED, S.CANCELLED}),
    S.ANNOUNCED: frozenset({S.OPENING, S.CANCELLED, S.FAILED}),
    S.OPENING: frozenset({S.OPENED, S.FAILED, S.CANCELLED}),
    S.OPENED: frozenset({S.EVALUATED, S.FAILED, S.CANCELLED}),
    S.EVALUATED: frozenset({S.PUBLICITY, S.FAILED, S.CANCELLED}),
    S.PUBLICITY: frozenset({S.AWARDED, S.EVALUATED, S.CANCELLED}),
    S.AWARDED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
}

STATE_LABELS_ZH: dict[S, str] = {
    S.DRAFT: "草稿",
    S.ANNOUNCED: "招标公告中",
    S.OPENING: "开标中",
    S.OPENED: "已开标",
    S.EVALUATED: "已评标",
    S.PUBLICITY: "候选人公示",
    S.AWARDED: "已中标",
    S.CANCELLED: "已终止",
    S.FAILED: "流标",
}


def can_move(src: S, dst: S) -> bool:
    return dst in ALLOWED[src]


async def move(
    session: AsyncSession,
    lot: Lot,
    dst: S,
    actor: Actor,
    *,
    now: datetime,
    action: str,
    center_id: int | None = None,
    detail: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
) -> bool:
    """Move `lot` from its current state to `dst` inside the caller's write transaction.

    Returns False, changing nothing, when the lot is already in `dst` (a repeated or late
    trigger), so every transition is idempotent. Raises Conflict for an illegal move or when
    another transaction moved the lot first.
    """
    src = S(lot.state)
    if src == dst:
        return False
    if not can_move(src, dst):
        raise Conflict(
            f"标段当前状态为「{STATE_LABELS_ZH[src]}」，不能变为「{STATE_LABELS_ZH[dst]}」"
            f" / lot {lot.id} is {src.value}; it cannot become {dst.value}",
            detail={"lot_id": lot.id, "state": src.value, "requested": dst.value},
        )
    result = await session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.state == src.value)
        .values(state=dst.value, state_changed_at=now, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"标段状态已被其他操作改变 / lot {lot.id} changed state concurrently",
            detail={"lot_id": lot.id},
        )
    # The portal, the lot's pages and the statistics show the state: cached copies go.
    invalidate_on_commit(session)
    await audit.append(
        session,
        actor,
        action,
        "lot",
        lot.id,
        at=now,
        center_id=center_id,
        detail={"from": src.value, "to": dst.value, **(detail or {})},
    )
    await session.refresh(lot)
    # The statistics aggregates move with the lot, in this transaction.
    await tally.moved(session, lot, src, dst)
    return True


class BiddingClosed(Conflict):
    """The lot stopped taking bids (deadline reached or no longer announced)."""


async def hold_for_bidding(session: AsyncSession, lot_id: int, clock: Clock) -> datetime:
    connection = await session.connection()
    return await connection.run_sync(hold_for_bidding_in, lot_id, clock)


def hold_for_bidding_in(connection: Connection, lot_id: int, clock: Clock) -> datetime:
    """Inside the caller's write transaction: hold the lot row and decide, against the clock read
    now (after any wait for the lock), whether the lot still takes bids; returns that reading.

    Submission, withdrawal, amendments and the opening's snapshot all pass here, so a bid either
    commits before the snapshot (and is in it) or is refused: never in between. PostgreSQL holds
    the row (FOR UPDATE) until commit; SQLite has one writer, the transaction itself.
    """
    row = connection.execute(_HOLD_FOR_BIDDING, {"lot_id": lot_id}).one()
    now = clock.now()
    if row.state != S.ANNOUNCED.value or now >= row.bid_deadline:
        raise BiddingClosed(
            "投标截止时间已过，不再接受投标 / the bid deadline has passed: no submission accepted",
            detail={"lot_id": lot_id, "deadline": row.bid_deadline.isoformat()},
        )
    return now


_HOLD_FOR_BIDDING = (
    select(Lot.state, Lot.bid_deadline).where(Lot.id == bindparam("lot_id")).with_for_update()
)


async def hold_for_opening(session: AsyncSession, lot_id: int) -> None:
    """The opening's side of the same row lock: taken before its snapshot is read."""
    await session.execute(select(Lot.id).where(Lot.id == lot_id).with_for_update())
