"""Center tests: an HTTP client on the test's world, sign-in tokens, and lots driven to an end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bidding.opening.flows import run_opening
from bidhall.demo import release_shares
from evaluation.award import service as evaluation
from tests.support.clients import bearer
from trading.auth.models import User
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects import service as projects
from trading.projects.models import Lot

# The suites import `token` from here.
token = bearer


async def actor(rt: Runtime, username: str) -> Any:
    from sqlalchemy import select

    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        return actor_for(user)


async def lot_state(rt: Runtime, lot_id: int) -> str:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        return str(lot.state)


async def open_all(rt: Runtime, clock: FixedClock, lots: list[Lot]) -> dict[int, LotState]:
    """At the (shared) deadline: the scheduler opens each lot, its custodians release shares."""
    clock.set(max(lot.bid_deadline for lot in lots))
    states: dict[int, LotState] = {}
    for lot in lots:
        state = await run_opening(rt, lot.id)
        if state == LotState.OPENING:
            state = await release_shares(rt, lot.id, lambda _m: None)
        states[lot.id] = state
    clock.advance(timedelta(hours=1))
    return states


async def award_all(rt: Runtime, clock: FixedClock, lots: list[tuple[Lot, str]]) -> None:
    """Rank and publicise every opened lot, wait out the longest publicity, award them all."""
    ends = []
    for lot, center in lots:
        staff = await actor(rt, f"staff-{center}")
        async with rt.sessionmaker() as session:
            state = await evaluation.evaluate_lot(
                session, lot.id, staff, now=clock.now(), settings=rt.settings
            )
            if state == LotState.FAILED:
                continue
            await evaluation.publish_candidates(
                session, lot.id, staff, now=clock.now(), settings=rt.settings
            )
            current = await projects.get_lot(session, lot.id, staff)
            ends.append(evaluation.publicity_ends(current, rt.settings))
    clock.set(max(ends) + timedelta(seconds=1))
    for lot, center in lots:
        staff = await actor(rt, f"staff-{center}")
        async with rt.sessionmaker() as session:
            if await lot_state(rt, lot.id) == LotState.PUBLICITY:
                await evaluation.award_lot(
                    session, lot.id, staff, now=clock.now(), settings=rt.settings
                )
