"""Attack: the admission cache holds a lot as it was; the guard in the write decides.

Admitting a bid reads the lot from a short per-process cache (bidding.submission.admission).
A lot cancelled or closed a moment ago may still be cached as open: the bid must be refused
anyway, with no row and no stored ciphertext. A cached lot whose deadline an amendment has
since moved later must not refuse a bid the lot takes. A replayed envelope stays refused, also
when both copies arrive at once, and the ciphertext of the admitted copy stays stored.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bidding.client.sealing import seal_bid
from bidding.participation import amendments
from bidding.submission import service as submission
from bidding.submission.admission import lot_cache, lot_for_bidding
from bidding.submission.models import Bid, BidStatus
from bidhall.demo.accounts import demo_identity, demo_user
from crypto.encoding import b64u_decode
from crypto.labels import bidder_commitment, envelope_lot_id
from trading.audit.models import AuditEntry
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.blobs import StagedBlob, iter_file
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.parties.secrecy import revealed_salt
from trading.projects import service as projects
from trading.projects.models import Lot


@dataclass
class Envelope:
    actor: Actor
    path: Path
    signature: str


async def seal(rt: Runtime, lot: Lot, username: str, version: int, tmp: Path) -> Envelope:
    assert lot.opening_pub is not None
    user = await demo_user(rt, username)
    async with rt.sessionmaker() as session:
        org = await session.get(Organization, user.org_id)
        assert org is not None
    doc = tmp / f"{username}-{version}.txt"
    doc.write_text(f"{org.name} 技术方案 第{version}版", encoding="utf-8")
    out = seal_bid(
        demo_identity(rt, username),
        lot_id=envelope_lot_id(lot.id),
        bidder_id=org.uscc,
        version=version,
        opening_pub=b64u_decode(lot.opening_pub, length=32),
        price_form={"price": f"{9000000 + version}.00"},
        files=[("技术标.txt", doc)],
        out=tmp / f"{username}-{version}.sealed",
    )
    return Envelope(actor_for(user), out.path, out.signature)


async def submit(rt: Runtime, lot: Lot, env: Envelope) -> tuple[StagedBlob, Bid | Conflict]:
    """Stage the envelope's bytes (a fresh upload each time) and submit them."""
    staged = await rt.blobs.stage(iter_file(env.path), max_size=submission.MAX_BID_BYTES)
    async with rt.sessionmaker() as session:
        try:
            bid = await submission.submit_bid(
                session, lot.id, env.actor, staged, env.signature, rt.context()
            )
        except Conflict as exc:
            return staged, exc
    return staged, bid


async def warm(rt: Runtime, lot: Lot, actor: Actor, clock: FixedClock) -> None:
    """Read the lot through the cache, as a request of the burst would, kept for the test."""
    async with rt.sessionmaker() as session:
        lot_cache(session).ttl = 3600.0  # the test decides when time passes, not the wall clock
        facts, open_ = await lot_for_bidding(session, lot.id, actor, clock.now())
    assert open_ and facts.state == LotState.ANNOUNCED


async def cached_state(rt: Runtime, lot: Lot) -> str | None:
    async with rt.sessionmaker() as session:
        facts = lot_cache(session).get(lot.id)
    return None if facts is None else facts.state


async def bids_of(rt: Runtime, lot: Lot) -> list[Bid]:
    async with rt.sessionmaker() as session:
        return list(await session.scalars(select(Bid).where(Bid.lot_id == lot.id)))


async def refusals(rt: Runtime, lot: Lot) -> int:
    async with rt.sessionmaker() as session:
        count = await session.scalar(
            select(func.count(AuditEntry.seq)).where(
                AuditEntry.action == "bid.submit_refused", AuditEntry.target_id == str(lot.id)
            )
        )
    return count or 0


async def test_a_lot_cancelled_a_moment_ago_refuses_bids_while_the_cache_holds_it_open(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    env = await seal(rt, lot, "bidder-1", 1, tmp_path)
    await warm(rt, lot, env.actor, clock)
    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        assert await projects.cancel_lot(session, lot.id, staff, "需求变更", now=clock.now())
    assert await cached_state(rt, lot) == LotState.ANNOUNCED  # the cache has not noticed

    staged, outcome = await submit(rt, lot, env)

    assert isinstance(outcome, Conflict) and outcome.status == 409
    assert await bids_of(rt, lot) == []
    assert not rt.blobs.exists(staged.sha256) and not staged.path.exists()
    assert await refusals(rt, lot) == 1
    assert await cached_state(rt, lot) is None  # the guard's answer replaced the cached one


async def test_a_deadline_moved_earlier_refuses_bids_while_the_cache_holds_the_old_one(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    env = await seal(rt, lot, "bidder-2", 1, tmp_path)
    await warm(rt, lot, env.actor, clock)
    # Amendments only ever move a deadline later (participation.amendments.amend); the row is edited
    # here to stand for anything that closes the lot sooner than the cached deadline says.
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(update(Lot).where(Lot.id == lot.id).values(bid_deadline=clock.now()))
    assert await cached_state(rt, lot) == LotState.ANNOUNCED

    staged, outcome = await submit(rt, lot, env)

    assert isinstance(outcome, Conflict) and outcome.status == 409
    assert await bids_of(rt, lot) == []
    assert not rt.blobs.exists(staged.sha256)
    assert await refusals(rt, lot) == 1


async def test_a_deadline_extended_by_an_amendment_is_honoured_over_the_cached_one(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    env = await seal(rt, lot, "bidder-3", 1, tmp_path)
    await warm(rt, lot, env.actor, clock)
    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        await amendments.amend(
            session,
            lot.id,
            staff,
            title="延期",
            body="投标截止时间延后一周",
            affects_bids=False,
            new_deadline=lot.bid_deadline + timedelta(days=7),
            clock=clock,
            settings=rt.settings,
        )
    clock.set(lot.bid_deadline + timedelta(hours=1))  # past the cached deadline, not the new one
    async with rt.sessionmaker() as session:
        facts = lot_cache(session).get(lot.id)
    assert facts is not None and facts.bid_deadline == lot.bid_deadline  # still the old one

    staged, outcome = await submit(rt, lot, env)

    assert isinstance(outcome, Bid), outcome
    assert rt.blobs.exists(staged.sha256)
    assert [b.status for b in await bids_of(rt, lot)] == [BidStatus.ACTIVE]


async def test_a_replayed_envelope_is_refused_and_the_admitted_copy_keeps_its_ciphertext(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    v1 = await seal(rt, lot, "bidder-1", 1, tmp_path)
    v2 = await seal(rt, lot, "bidder-1", 2, tmp_path)
    staged1, first = await submit(rt, lot, v1)
    assert isinstance(first, Bid)

    _, replay = await submit(rt, lot, v1)  # the same bytes again
    assert isinstance(replay, Conflict) and "replayed" in str(replay)
    assert rt.blobs.exists(staged1.sha256)  # the refused copy took nothing with it

    _, newer = await submit(rt, lot, v2)
    assert isinstance(newer, Bid)
    _, stale = await submit(rt, lot, v1)  # an older version after a newer one
    assert isinstance(stale, Conflict)

    rows = sorted(await bids_of(rt, lot), key=lambda b: b.version)
    assert [(b.version, b.status) for b in rows] == [
        (1, BidStatus.REPLACED),
        (2, BidStatus.ACTIVE),
    ]
    assert all(rt.blobs.exists(b.ciphertext_sha256) for b in rows)


@pytest.mark.parametrize("rounds", [4])
async def test_the_same_envelope_twice_at_once_is_admitted_once_and_stays_stored(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path, rounds: int
) -> None:
    lot = await publish_lot()
    for version in range(1, rounds + 1):
        env = await seal(rt, lot, "bidder-2", version, tmp_path)
        outcomes = await asyncio.gather(submit(rt, lot, env), submit(rt, lot, env))
        admitted = [o for _s, o in outcomes if isinstance(o, Bid)]
        refused = [o for _s, o in outcomes if isinstance(o, Conflict)]
        assert len(admitted) == 1 and len(refused) == 1, outcomes
        sha = outcomes[0][0].sha256
        assert sha == outcomes[1][0].sha256  # one digest: the same blob for both uploads
        assert rt.blobs.exists(sha), f"version {version}: the admitted bid lost its ciphertext"
        assert all(not s.path.exists() for s, _o in outcomes)  # staging files are gone

    rows = await bids_of(rt, lot)
    assert sorted(b.version for b in rows) == list(range(1, rounds + 1))
    assert [b.version for b in rows if b.status == BidStatus.ACTIVE] == [rounds]


async def test_two_versions_at_once_leave_exactly_one_active_bid(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    """Both read "no bid yet" before either writes: the write re-checks, whichever comes
    first. Version 2 first refuses version 1 as stale; version 1 first is replaced by 2."""
    lot = await publish_lot()
    v1 = await seal(rt, lot, "bidder-3", 1, tmp_path)
    v2 = await seal(rt, lot, "bidder-3", 2, tmp_path)

    (_, one), (_, two) = await asyncio.gather(submit(rt, lot, v1), submit(rt, lot, v2))

    assert isinstance(two, Bid)
    rows = {b.version: b.status for b in await bids_of(rt, lot)}
    if isinstance(one, Bid):
        assert rows == {1: BidStatus.REPLACED, 2: BidStatus.ACTIVE}
    else:
        assert isinstance(one, Conflict) and rows == {2: BidStatus.ACTIVE}


async def test_the_commitment_computed_from_the_read_salt_is_the_one_secrecy_gives(
    rt: Runtime, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    """Admission reads the lot's salt with the bidder and masks the bidder from it
    (trading.parties.secrecy.masked_as): the audit entry of the admitted bid records the
    commitment anyone recomputes from the revealed salt, as the first bid (which drew the
    salt in its write) does."""
    lot = await publish_lot()
    _, first = await submit(rt, lot, await seal(rt, lot, "bidder-1", 1, tmp_path))  # draws it
    _, second = await submit(rt, lot, await seal(rt, lot, "bidder-2", 1, tmp_path))  # reads it
    assert isinstance(first, Bid) and isinstance(second, Bid)
    user = await demo_user(rt, "bidder-2")
    async with rt.sessionmaker() as session:
        org = await session.get(Organization, user.org_id)
        assert org is not None
        salt = await revealed_salt(session, lot.id)
        assert salt is not None
        entries = [
            await session.scalar(
                select(AuditEntry).where(AuditEntry.seq == bid.receipt["audit_index"])
            )
            for bid in (first, second)
        ]
        first_org = await session.get(Organization, (await demo_user(rt, "bidder-1")).org_id)
        assert first_org is not None
    for entry, uscc in zip(entries, (first_org.uscc, org.uscc), strict=True):
        commitment = bidder_commitment(b64u_decode(salt, length=32), uscc)
        assert entry is not None and entry.action == "bid.submit"
        assert entry.actor == f"bidder:{commitment[:16]}"
        assert json.loads(entry.body)["detail"]["bidder"] == commitment
