"""The one entry point of the opening for every caller: API, pages, scheduler, reconcile.

Requests only record what they bring (the trigger, a share, a file key) and kick the lot's
background job; the job decrypts under the lot's lease and publishes the record. Progress
reaches the hall over its event stream.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bidding.opening import own_key
from bidding.opening import service as opening
from bidding.opening.attendance import publish_roster
from bidding.opening.desk import remind_waiting
from bidding.opening.record import SYSTEM_OPENER
from bidding.opening.window import running_windows
from trading.audit.heads import TamperAlarm, publish_for
from trading.enums import LotState
from trading.kernel.actor import SCHEDULER, Actor
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot, Project

log = logging.getLogger("bidhall.openings")


def _job(lot_id: int) -> tuple[str, int]:
    return ("opening", lot_id)


def kick(rt: Runtime, lot_id: int) -> None:
    """Make sure this process's job for the lot runs (again) soon; never blocks."""

    async def advance() -> None:
        async with rt.sessionmaker() as session:
            state = await opening.advance_opening(session, lot_id, rt.context(), owner=rt.instance)
            await publish_roster(session, lot_id)
        log.info("lot %s opening advanced: %s", lot_id, state)
        if state == LotState.OPENED:
            # A published opening record is a moment outsiders will want pinned by a head.
            await publish_for(rt)

    rt.jobs.kick(_job(lot_id), advance)


async def job_done(rt: Runtime, lot_id: int) -> None:
    """Until this process's job on the lot (and any rerun asked of it) is done."""
    await rt.jobs.wait(_job(lot_id))


async def settled(rt: Runtime, lot_id: int) -> LotState:
    """Wait for this process's job on the lot, then say where the lot stands."""
    await job_done(rt, lot_id)
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        return LotState(lot.state) if lot is not None else LotState.CANCELLED


async def start(rt: Runtime, lot_id: int, actor: Actor = SCHEDULER) -> LotState:
    """Close submissions and take the snapshot; decryption goes on in the background. The
    actor is whoever started it (the scheduler, or staff starting it by hand): the log says."""
    async with rt.sessionmaker() as session:
        try:
            state = await opening.start_opening(session, lot_id, actor, rt.context())
        except TamperAlarm:
            raise  # no signed head over an edited log: staff must look, retrying will not help
        except Conflict:
            deadline = dict(await opening.due_openings(session)).get(lot_id)
            if rt.scheduler is not None and deadline is not None:
                # APScheduler runs on wall time: never retry sooner than a second from now.
                retry = max(deadline, datetime.now(UTC) + timedelta(seconds=1))
                rt.scheduler.schedule_opening(lot_id, retry)
            raise
    if state == LotState.OPENING:
        await _roster(rt, lot_id)
        kick(rt, lot_id)
    return state


async def _roster(rt: Runtime, lot_id: int) -> None:
    async with rt.sessionmaker() as session:
        await publish_roster(session, lot_id)


async def run_opening(rt: Runtime, lot_id: int) -> LotState:
    """The scheduler's and reconciliation's call: start (or resume) and wait for the job."""
    await start(rt, lot_id)
    return await settled(rt, lot_id)


async def release_share(rt: Runtime, lot_id: int, actor: Actor, share: dict[str, Any]) -> LotState:
    """A custodian's release is recorded; the job recovers the key once k shares are in."""
    async with rt.sessionmaker() as session:
        state = await opening.release_share(session, lot_id, actor, share, rt.context())
        await publish_roster(session, lot_id)
    if state == LotState.OPENING:
        kick(rt, lot_id)
    return state


async def release_file_key(rt: Runtime, lot_id: int, actor: Actor, file_key: str) -> LotState:
    """A bidder opens its own bid at the opening (不见面开标); the job publishes the record once
    every bid is decided."""
    async with rt.sessionmaker() as session:
        state = await own_key.release_file_key(session, lot_id, actor, file_key, rt.context())
        await publish_roster(session, lot_id)
    if state == LotState.OPENING:
        kick(rt, lot_id)
    return state


async def due_lots(rt: Runtime) -> list[tuple[int, object]]:
    async with rt.sessionmaker() as session:
        return list(await opening.due_openings(session))


async def due_windows(rt: Runtime) -> list[tuple[int, datetime]]:
    """Openings in progress and the end of their decryption window: the scheduler runs the
    opening again then (run_opening), which decides what is still sealed."""
    async with rt.sessionmaker() as session:
        return await running_windows(session)


async def remind_due(rt: Runtime) -> int:
    """The scheduler's minute tick: remind whoever has not acted in a running decryption window
    (custodians in their workspace, bidders by notice), once per person per 5 minutes."""
    sent = 0
    async with rt.sessionmaker() as session:
        now = rt.clock.now()
        for lot_id, ends in await running_windows(session):
            if now >= ends:
                continue
            lot = await session.scalar(
                select(Lot)
                .where(Lot.id == lot_id)
                .options(selectinload(Lot.project).selectinload(Project.center))
            )
            if lot is None or lot.state != LotState.OPENING:
                continue
            done = await remind_waiting(session, lot, SYSTEM_OPENER, now=now)
            sent += len(done.custodians) + len(done.bidders)
    return sent
