"""Wiring of the opening job: what the scheduler (or reconciliation) runs for a lot."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bidding import service as bidding
from bidding.service import Context
from trading.actor import SCHEDULER
from trading.enums import LotState
from trading.errors import Conflict
from trading.runtime import Runtime

log = logging.getLogger("bidhall.openings")


def context(rt: Runtime) -> Context:
    return Context(now=rt.clock.now(), blobs=rt.blobs, platform=rt.platform, settings=rt.settings)


async def run_opening(rt: Runtime, lot_id: int) -> LotState:
    """Start (or resume) a lot's opening; an early trigger is refused and rescheduled."""
    async with rt.sessionmaker() as session:
        try:
            state = await bidding.start_opening(session, lot_id, SCHEDULER, context(rt))
        except Conflict:
            deadline = dict(await bidding.due_openings(session)).get(lot_id)
            if rt.scheduler is not None and deadline is not None:
                # APScheduler runs on wall time: never retry sooner than a second from now.
                retry = max(deadline, datetime.now(UTC) + timedelta(seconds=1))
                rt.scheduler.schedule_opening(lot_id, retry)
            raise
        if state == LotState.OPENING:
            state = await bidding.continue_opening(session, lot_id, context(rt))
        log.info("lot %s opening ran: %s", lot_id, state)
        return state


async def due_lots(rt: Runtime) -> list[tuple[int, object]]:
    async with rt.sessionmaker() as session:
        return list(await bidding.due_openings(session))
