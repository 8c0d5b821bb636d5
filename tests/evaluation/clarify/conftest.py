"""The remote-scoring world (five seated experts, an opened lot) marked 暗标 before anyone
declares, with what a leak would look like: the bidders' names, USCCs, prices, bid ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bidding.queries import opening_bidders
from bidhall.demo.accounts import demo_user
from evaluation.clarify import anonymity
from tests.conftest import PRICES
from tests.evaluation.scoring.conftest import World, build_world, declare
from trading.auth.service import actor_for
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot


@dataclass
class Secrets:
    names: list[str]
    usccs: list[str]
    prices: list[str]  # as the pages would show them (grouped) and as the API would (plain)


async def mark_anonymous(rt: Runtime, lot_id: int) -> None:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        lot.anonymous_technical = True
        await session.commit()


async def secrets_of(rt: Runtime, world: World) -> Secrets:
    async with rt.sessionmaker() as session:
        bidders = await opening_bidders(session, world.lot_id)
    prices = [*PRICES.values(), "9300000.00"]
    shown = [f"{int(p.split('.')[0]):,}" for p in prices]
    return Secrets([b.name for b in bidders], [b.uscc for b in bidders], prices + shown)


async def letters(rt: Runtime, world: World) -> dict[str, str]:
    """letter → bid id (what the test knows and the experts must not)."""
    async with rt.sessionmaker() as session:
        return {x: str(b) for b, x in (await anonymity.labels(session, world.lot_id)).items()}


async def bid_of(rt: Runtime, world: World, username: str) -> str:
    org = actor_for(await demo_user(rt, username)).org_id
    async with rt.sessionmaker() as session:
        return next(str(b.bid_id) for b in await opening_bidders(session, world.lot_id)
                    if b.org_id == org)  # fmt: skip


async def declare_all(rt: Runtime, world: World, clock: FixedClock) -> None:
    for n in range(len(world.seats)):
        await declare(rt, world, n, clock.now())


@pytest.fixture
async def world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    return await build_world(rt, clock, publish_lot, bid)


@pytest.fixture
async def anon_world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    built = await build_world(rt, clock, publish_lot, bid)
    await mark_anonymous(rt, built.lot_id)
    return built
