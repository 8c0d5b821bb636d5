"""A lot opened with a drawn committee of five experts who can sign in (the demo password),
and a lot scoring criteria set: the world of the remote scoring tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bidding.opening.flows import run_opening
from bidding.queries import opened_bids
from bidhall.demo import release_shares
from bidhall.demo.accounts import DEMO_PASSWORD, demo_user
from crypto.canonical import canonical_json
from crypto.encoding import b64u_encode
from crypto.keys import Identity, generate_identity
from crypto.signing import sign
from evaluation.experts import pool_csv as pools
from evaluation.experts import service as experts
from evaluation.experts.draw import Demand
from evaluation.experts.models import Committee, CommitteeMember, Expert
from evaluation.scoring import service as scoring
from evaluation.scoring import work
from tests.conftest import PRICES
from tests.evaluation.experts.test_pool_and_committee import pool_csv
from trading.auth.models import User
from trading.auth.passwords import hash_password
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.service import register_keys
from trading.projects.models import Lot

CRITERIA = [
    {"id": "tech", "name": "技术方案", "max_score": "40"},
    {"id": "svc", "name": "售后服务", "max_score": "20"},
]
PARAMS = {"price_weight": "0.40", "criteria": CRITERIA, "deviation_share": "0.20"}


@dataclass
class World:
    lot_id: int
    seats: list[Actor]  # seated experts in position order: seats[0] is the chair
    usernames: list[str]
    bids: dict[str, str]  # bidder org name → bid id
    outsider: Actor  # an expert of the pool not on this committee
    keys: list[Identity]  # each seat's registered signing key (the browser's, in real life)

    def sign(self, n: int, statement: dict[str, Any]) -> str:
        """Seat n's Ed25519 signature over a statement's canonical JSON, as the browser makes."""
        return sign_statement(self.keys[n], statement)


def sign_statement(identity: Identity, statement: dict[str, Any]) -> str:
    return b64u_encode(sign(identity.sign_priv, canonical_json(statement)))


async def register_key(rt: Runtime, actor: Actor, now: datetime) -> Identity:
    identity = generate_identity()
    async with rt.sessionmaker() as session:
        await register_keys(
            session, actor, identity.public().to_dict(), now=now,
            platform_sign_priv=rt.platform.sign_priv,
        )  # fmt: skip
    return identity


async def declare(rt: Runtime, world: World, n: int, now: datetime) -> None:
    """Seat n declares no conflict, signed with its registered key."""
    async with rt.sessionmaker() as session:
        statement = await work.declaration_statement(session, world.seats[n], world.lot_id)
        await work.declare(
            session, world.seats[n], world.lot_id, scoring.DECLARATION, world.sign(n, statement),
            now=now,
        )  # fmt: skip


async def build_world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        await pools.import_pool(session, staff, "450100", pool_csv(7), now=clock.now())
        for user in await session.scalars(select(User).where(User.username.like("expert-%"))):
            user.password_hash = hash_password(DEMO_PASSWORD)  # activation, by hand
        await session.commit()
    lot: Lot = await publish_lot(title="远程评标测试工程")
    async with rt.sessionmaker() as session:
        await experts.draw_committee(
            session, staff, rt.settings, lot.id, [Demand("A01", 5)], 0, now=clock.now()
        )
    clock.advance(timedelta(days=1))
    await bid(lot, {**PRICES, "bidder-4": "9300000.00"})  # 3 valid after one fails
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)
    async with rt.sessionmaker() as session:
        row = await session.get(Lot, lot.id)
        assert row is not None and row.state == LotState.OPENED
        row.evaluation_method = "low_price"
        row.evaluation_params = PARAMS
        await session.commit()
        seated = (
            await session.execute(
                select(User)
                .join(Expert, Expert.user_id == User.id)
                .join(CommitteeMember, CommitteeMember.expert_id == Expert.id)
                .join(Committee, Committee.id == CommitteeMember.committee_id)
                .where(Committee.lot_id == lot.id)
                .order_by(CommitteeMember.position)
            )
        ).scalars()
        users = list(seated)
        others = list(
            await session.scalars(
                select(User)
                .where(User.username.like("expert-%"))
                .where(User.id.not_in([u.id for u in users]))
            )
        )
    async with rt.sessionmaker() as session:
        bids = {b.bidder: str(b.bid_id) for b in await opened_bids(session, lot.id)}
    seats = [actor_for(u) for u in users]
    keys = [await register_key(rt, seat, clock.now()) for seat in seats]
    return World(lot.id, seats, [u.username for u in users], bids, actor_for(others[0]), keys)


@pytest.fixture
async def world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    return await build_world(rt, clock, publish_lot, bid)


def sheet_for(world: World, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Expert n's sheet: the first bid failed by seats 0-2 (so the committee fails it), the
    last bid's technical score of seat 4 far below the others (a deviation to explain)."""
    ids = sorted(world.bids.values(), key=int)
    tech = {ids[0]: "30", ids[1]: "20", ids[2]: "20" if n == 4 else "36", ids[3]: "25"}
    qualification = {
        b: ({"pass": False, "reason": "资质证书过期"} if b == ids[0] and n < 3 else {"pass": True})
        for b in ids
    }
    scores = {
        b: {
            "tech": {"score": tech[b], "comment": f"seat{n}-secret-{b}"},
            "svc": {"score": "15", "comment": ""},
        }
        for b in ids
    }
    return qualification, scores
