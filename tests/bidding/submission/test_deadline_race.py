"""Attack: submissions racing the deadline and the opening's snapshot, with real concurrency.

The clock moves forward every time it is read, so requests that passed the early check
can reach the write after the deadline: the guard inside the writing transaction decides.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.client.sealing import seal_bid
from bidding.hall.service import bidder_org_ids
from bidding.opening import flows
from bidding.opening.models import Opening
from bidding.submission import service as submission
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import BIDDERS, release_shares
from bidhall.demo.accounts import demo_identity, demo_user
from crypto.encoding import b64u_decode
from crypto.labels import envelope_lot_id
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.blobs import StagedBlob, iter_file
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects.models import Lot


class TickingClock(FixedClock):
    """Every reading is `step` later than the one before: time passes while requests wait.
    `due` is set by the first reading at or after `deadline` (the scheduler's trigger)."""

    def __init__(self, at: datetime, step: timedelta, deadline: datetime) -> None:
        super().__init__(at)
        self.step = step
        self.deadline = deadline
        self.due = asyncio.Event()

    def now(self) -> datetime:
        at = super().now()
        self.advance(self.step)
        if at >= self.deadline:
            self.due.set()
        return at


@dataclass
class Sealed:
    username: str
    version: int
    staged: StagedBlob
    signature: str


async def _seal_all(rt: Runtime, lot: Lot, rounds: int, tmp: Path) -> list[Sealed]:
    assert lot.opening_pub is not None
    sealed: list[Sealed] = []
    for username, _name, _sme in BIDDERS:
        user = await demo_user(rt, username)
        identity = demo_identity(rt, username)
        async with rt.sessionmaker() as session:
            org = await session.get(Organization, user.org_id)
            assert org is not None
        doc = tmp / f"{username}.txt"
        doc.write_text(f"{org.name} 技术方案", encoding="utf-8")
        for version in range(1, rounds + 1):
            out = seal_bid(
                identity,
                lot_id=envelope_lot_id(lot.id),
                bidder_id=org.uscc,
                version=version,
                opening_pub=b64u_decode(lot.opening_pub, length=32),
                price_form={"price": f"{9000000 + version}.00"},
                files=[("技术标.txt", doc)],
                out=tmp / f"{username}-{version}.sealed",
            )
            staged = await rt.blobs.stage(iter_file(out.path), max_size=submission.MAX_BID_BYTES)
            sealed.append(Sealed(username, version, staged, out.signature))
    # Round-robin by version, so every bidder is early and late in the race alike.
    return sorted(sealed, key=lambda s: (s.version, s.username))


async def test_fifty_submissions_race_the_deadline_and_the_snapshot(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot()
    with tempfile.TemporaryDirectory() as tmp:
        sealed = await _seal_all(rt, lot, 13, Path(tmp))  # 4 bidders x 13 versions = 52
        assert len(sealed) >= 50
        # 80 readings before the deadline, 1 ms apart; each submission reads the clock at least
        # twice (its early check, then the guard in its write), so however they interleave some
        # are accepted and some pass the early check but reach the write too late. The opening
        # fires at the deadline like the scheduler and races the rest.
        clock_ = TickingClock(
            lot.bid_deadline - timedelta(milliseconds=80),
            timedelta(milliseconds=1),
            lot.bid_deadline,
        )
        rt.clock = clock_

        async def submit(s: Sealed) -> tuple[Sealed, Bid | Conflict]:
            user = await demo_user(rt, s.username)
            async with rt.sessionmaker() as session:
                try:
                    bid = await submission.submit_bid(
                        session, lot.id, actor_for(user), s.staged, s.signature, rt.context()
                    )
                except Conflict as exc:
                    return s, exc
            return s, bid

        async def trigger() -> LotState:
            await clock_.due.wait()
            return await flows.start(rt, lot.id)

        *outcomes, state = await asyncio.gather(*(submit(s) for s in sealed), trigger())
        await flows.settled(rt, lot.id)

    assert state == LotState.OPENING
    accepted = [(s, b) for s, b in outcomes if isinstance(b, Bid)]
    refused = [(s, e) for s, e in outcomes if isinstance(e, Conflict)]
    assert accepted and refused, "the race must straddle the deadline"
    assert all(e.status == 409 for _s, e in refused)

    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
        assert opening is not None
        rows = {b.id: b for b in await session.scalars(select(Bid).where(Bid.lot_id == lot.id))}
    snapshot_ids = {row["bid_id"] for row in opening.bid_snapshot}
    # Nothing of a refused submission exists: no row, no stored ciphertext.
    stored = {b.ciphertext_sha256 for b in rows.values()}
    for s, _e in refused:
        assert s.staged.sha256 not in stored
        assert not rt.blobs.exists(s.staged.sha256)
    # Every accepted bid is in the snapshot, or was replaced by a later accepted version.
    assert {b.id for _s, b in accepted} == set(rows)
    for bid_id, row in rows.items():
        assert (bid_id in snapshot_ids) == (row.status != BidStatus.REPLACED), row.status
        assert row.received_at < lot.bid_deadline
    # One active bid per bidder went into the snapshot; the confirm/object list is theirs.
    assert bidder_org_ids(opening) == {rows[i].bidder_org_id for i in snapshot_ids}
    assert len(snapshot_ids) == len(bidder_org_ids(opening))

    rt.clock = FixedClock(lot.bid_deadline + timedelta(minutes=5))
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
        assert opening is not None and opening.record is not None
    record_ids = {row["bid_id"] for row in opening.record["record"]["rows"]}
    assert record_ids == snapshot_ids
