"""The one entry point of the opening for every caller: API, pages, scheduler, reconcile."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from bidding.opening import service as opening
from trading.audit.service import publish_for
from trading.enums import LotState
from trading.kernel.actor import SCHEDULER, Actor
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime

log = logging.getLogger("bidhall.openings")


async def run_opening(rt: Runtime, lot_id: int) -> LotState:
    """Start (or resume) a lot's opening; an early trigger is refused and rescheduled."""
    async with rt.sessionmaker() as session:
        try:
            state = await opening.start_opening(session, lot_id, SCHEDULER, rt.context())
        except Conflict:
            deadline = dict(await opening.due_openings(session)).get(lot_id)
            if rt.scheduler is not None and deadline is not None:
                # APScheduler runs on wall time: never retry sooner than a second from now.
                retry = max(deadline, datetime.now(UTC) + timedelta(seconds=1))
                rt.scheduler.schedule_opening(lot_id, retry)
            raise
        if state == LotState.OPENING:
            state = await opening.continue_opening(session, lot_id, rt.context())
    log.info("lot %s opening ran: %s", lot_id, state)
    await _head_after_record(rt, state)
    return state


async def release_share(rt: Runtime, lot_id: int, actor: Actor, share: dict[str, Any]) -> LotState:
    """A custodian's release; the one that completes the opening also gets a signed tree head."""
    async with rt.sessionmaker() as session:
        state = await opening.release_share(session, lot_id, actor, share, rt.context())
    await _head_after_record(rt, state)
    return state


async def release_file_key(rt: Runtime, lot_id: int, actor: Actor, file_key: str) -> LotState:
    """A bidder opens its own bid at the opening (不见面开标); the last one publishes the record."""
    async with rt.sessionmaker() as session:
        state = await opening.release_file_key(session, lot_id, actor, file_key, rt.context())
    await _head_after_record(rt, state)
    return state


async def _head_after_record(rt: Runtime, state: LotState) -> None:
    # A published opening record is a moment outsiders will want pinned by a signed head.
    if state == LotState.OPENED:
        await publish_for(rt)


async def due_lots(rt: Runtime) -> list[tuple[int, object]]:
    async with rt.sessionmaker() as session:
        return list(await opening.due_openings(session))
