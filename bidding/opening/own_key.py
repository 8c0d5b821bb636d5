"""不见面开标: a bidder opens its own bid at the opening by releasing the bid's file key, within
the decryption window (电子招标投标办法 30); after it, the window's end decides (第31条)."""

from __future__ import annotations

import asyncio
import logging
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.opening.decryption import Sealed, judge, read_sealed_price_form, record_outcomes
from bidding.opening.models import Opening
from bidding.opening.service import _lot_for_update, _pending
from bidding.opening.window import window_end, window_over
from bidding.submission.models import Bid, BidStatus
from bidding.submission.service import bidder_org, refuse_attempt
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from crypto.labels import envelope_lot_id
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, NotFound, ValidationFailed
from trading.kernel.runtime import Context
from trading.projects.service import get_lot

log = logging.getLogger("bidhall.openings")


async def release_file_key(
    session: AsyncSession, lot_id: int, actor: Actor, file_key: str, ctx: Context
) -> LotState:
    """不见面开标: at the opening a bidder decrypts its own stanza on its machine and releases
    the bid's file key; the platform opens that bid with it, no custodian needed. When every
    bid is decided this way the record is published at once."""
    org = await bidder_org(session, actor)
    await get_lot(session, lot_id, actor)  # a lot the bidder cannot see is absent (404)
    lot = await _lot_for_update(session, lot_id)
    if lot.state == LotState.ANNOUNCED or ctx.now < lot.bid_deadline:
        raise Conflict("开标时间未到，不接受解密 / bids are decrypted only at the opening")
    if lot.state != LotState.OPENING:
        return LotState(lot.state)
    bid = await session.scalar(
        select(Bid)
        .where(Bid.lot_id == lot.id, Bid.bidder_org_id == org.id, Bid.status == BidStatus.ACTIVE)
        .execution_options(populate_existing=True)
    )
    if bid is None:
        opened_first = await session.scalar(
            select(Bid.id).where(
                Bid.lot_id == lot.id,
                Bid.bidder_org_id == org.id,
                Bid.status.in_([BidStatus.DECRYPTED, BidStatus.REVOKED, BidStatus.FAILED]),
            )
        )
        if opened_first is None:
            raise NotFound("没有待解密的本单位投标 / no bid of yours is waiting to be decrypted")
        return LotState.OPENING  # the opening decided it first: nothing is left to do
    opening = await session.get(Opening, lot.id)
    where = (lot.id, lot.project.center_id)
    if opening is not None and window_over(opening, ctx.now):
        await _refuse_late(session, actor, opening, where, ctx)
    try:
        key = b64u_decode(file_key, length=32, what="file_key")
        form = await asyncio.to_thread(
            read_sealed_price_form,
            ctx.blobs,
            Sealed.of(bid, org.uscc),
            envelope_lot_id(lot.id),
            file_key=key,
        )
    except CryptoError as exc:
        # A wrong key changes nothing: the bidder may try again, or custodians open it.
        raise ValidationFailed(
            f"该密钥无法解密本单位投标 / that key does not open your bid: {exc}"
        ) from exc
    async with writing(session):
        # Read inside the transaction that decides: a release racing the window's end either
        # commits first (its bid opens) or finds the bid decided (compare-and-set).
        if opening is not None and window_over(opening, ctx.clock.now()):
            late = True
        else:
            late = False
            decided = await record_outcomes(
                session, lot, [(Sealed.of(bid, org.uscc), judge(form))], actor, ctx
            )
    if late:
        assert opening is not None
        await _refuse_late(session, actor, opening, where, ctx)
    if not decided:
        log.info("lot %s: bid %s was decided by the opening first", lot.id, bid.id)
    if opening is not None:
        total = len(opening.bid_snapshot)
        events.publish(
            lot.id,
            events.DECRYPT,
            {"done": total - len(await _pending(session, opening)), "total": total},
        )
    return LotState.OPENING


async def _refuse_late(
    session: AsyncSession, actor: Actor, opening: Opening, where: tuple[int, int], ctx: Context
) -> NoReturn:
    ends = window_end(opening).isoformat()
    await refuse_attempt(
        session, actor, "opening.file_key_late_refused", where, ctx.clock.now(), "window over"
    )
    raise Conflict(
        f"解密时限已过（{ends}），未解密的投标文件按电子招标投标办法第31条处理"
        f" / the decryption window ended at {ends}; what is still sealed is decided"
        " under Art. 31"
    )
