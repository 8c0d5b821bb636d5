"""The decryption window: check-in before the opening, bidders decrypting their own bids, and an
opening that ends when the window does even if nobody acts (电子招标投标办法 29–31)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.client.sealing import seal_bid
from bidding.opening import flows, own_key
from bidding.opening import service as opening_service
from bidding.opening.models import CheckIn, Opening, Reminder
from bidding.participation.models import Notice
from bidding.submission import service as submission
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import demo_identity, release_shares
from bidhall.demo.accounts import demo_user
from bidhall.scheduler import OpeningScheduler, window_job_id
from crypto.encoding import b64u_decode
from crypto.labels import envelope_lot_id
from tests.bidding.opening.test_bidder_decryption import file_key_of, release
from tests.support.clients import Client, bearer, settled
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.blobs import iter_file
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects.models import Lot

WINDOW = timedelta(minutes=30)  # the construction ruleset's decrypt_window_minutes


def scheduler_for(rt: Runtime) -> OpeningScheduler:
    """The scheduler as the app wires it (bidhall.app.attach_scheduler), not started: the test
    drives reconciliation by hand with the fixed clock."""

    async def opener(lot_id: int) -> None:
        await flows.run_opening(rt, lot_id)

    async def due() -> list[tuple[int, datetime]]:
        return await flows.due_lots(rt)  # type: ignore[return-value]

    async def windows() -> list[tuple[int, datetime]]:
        return await flows.due_windows(rt)

    return OpeningScheduler(opener, due, rt.clock, windows)


async def check_in(client: Client, lot: Lot, username: str) -> Any:
    return await client.post(
        f"/api/v1/lots/{lot.id}/opening/check-in", headers=await bearer(client, username)
    )


async def statuses(rt: Runtime, lot: Lot) -> dict[str, tuple[str, str]]:
    async with rt.sessionmaker() as session:
        rows = await session.execute(
            select(User.username, Bid.status, Bid.failure_cause)
            .join(Organization, Organization.id == Bid.bidder_org_id)
            .join(User, User.org_id == Organization.id)
            .where(Bid.lot_id == lot.id, User.username.like("bidder-%"))
        )
        return {u: (s, c or "") for u, s, c in rows.all()}


async def test_check_in_only_in_its_window_once_and_by_a_bidder_of_the_lot(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline - timedelta(minutes=31))
    early = await check_in(client, lot, "bidder-1")
    assert early.status_code == 409 and "第29条" in early.json()["detail"]
    clock.set(lot.bid_deadline - timedelta(minutes=10))
    first = await check_in(client, lot, "bidder-1")
    assert first.status_code == 200, first.text
    assert first.json()["checked_in_at"] == clock.now().isoformat()
    clock.advance(timedelta(minutes=1))
    again = await check_in(client, lot, "bidder-1")  # idempotent: the first time stands
    assert again.json()["checked_in_at"] == first.json()["checked_in_at"]
    assert (await check_in(client, lot, "bidder-4")).status_code == 404  # enrolled, no bid
    staff = await client.post(
        f"/api/v1/lots/{lot.id}/opening/check-in", headers=await bearer(client, "staff-450100")
    )
    assert staff.status_code == 403
    anonymous = await client.post(f"/api/v1/lots/{lot.id}/opening/check-in")
    assert anonymous.status_code == 401
    async with rt.sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "opening.checked_in")
            )
        )
        org_name = (
            await session.scalar(
                select(Organization.name)
                .join(User, User.org_id == Organization.id)
                .where(User.username == "bidder-1")
            )
        ) or ""
    # One entry; before the opening it names the bidder by commitment only (招标投标法 22).
    assert len(entries) == 1 and org_name not in entries[0].actor + entries[0].body
    clock.set(lot.bid_deadline)
    assert await flows.start(rt, lot.id) == LotState.OPENING
    await flows.job_done(rt, lot.id)
    late = await check_in(client, lot, "bidder-2")
    assert late.status_code == 409 and "签到已截止" in late.json()["detail"]
    async with rt.sessionmaker() as session:
        assert len(list(await session.scalars(select(CheckIn)))) == 1
    desk = await client.get(
        f"/api/v1/lots/{lot.id}/opening/desk", headers=await bearer(client, "staff-450100")
    )
    checked = [b["checked_in_at"] is not None for b in desk.json()["bidders"]]
    assert checked == [True, False, False]  # bidder-1 bid first


async def test_custodians_never_act_and_the_window_still_ends_the_opening(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    """Through the scheduler's path: bidder-2 decrypts its own bid in time, the others and
    every custodian do nothing; at the window's end the opening ends with the causes."""
    lot = await publish_lot()
    await bid(lot)
    key = await file_key_of(rt, lot, "bidder-2")
    scheduler = scheduler_for(rt)
    clock.set(lot.bid_deadline - timedelta(minutes=5))
    assert (await check_in(client, lot, "bidder-2")).status_code == 200
    clock.set(lot.bid_deadline)
    assert await scheduler.reconcile() == 1
    jobs = {j.id: j for j in scheduler.aps.get_jobs()}
    assert jobs[window_job_id(lot.id)].trigger.run_date == lot.bid_deadline + WINDOW
    answer = await release(client, lot, "bidder-2", key)
    assert answer.status_code == 202
    assert await settled(client, rt, lot.id) == LotState.OPENING
    clock.advance(WINDOW - timedelta(seconds=1))
    await scheduler.reconcile()  # nothing to decide yet: the window is open
    assert (await statuses(rt, lot))["bidder-1"][0] == BidStatus.ACTIVE
    clock.advance(timedelta(seconds=1))
    await scheduler.reconcile()
    async with rt.sessionmaker() as session:
        fresh = await session.get(Lot, lot.id)
        opening = await session.get(Opening, lot.id)
        closed = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "opening.window_closed")
        )
    assert fresh is not None and fresh.state == LotState.OPENED
    assert opening is not None and opening.record is not None and opening.opening_priv is None
    seen = await statuses(rt, lot)
    assert seen["bidder-2"] == (BidStatus.DECRYPTED, "")  # opened with its own key, in time
    for late in ("bidder-1", "bidder-3"):
        status, cause = seen[late]
        # Their envelopes carried their own stanza: not decrypting is the bidder's own fault.
        assert status == BidStatus.REVOKED and "第31条" in cause and "0/2" in cause
    rows = {r["bidder"]: r for r in opening.record["record"]["rows"]}
    assert sorted(r["outcome"] for r in rows.values()) == ["decrypted", "revoked", "revoked"]
    # The signed record says when the window ended and who checked in (bidder-2 only).
    signed = opening.record["record"]
    assert signed["decrypt_ends_at"] == (lot.bid_deadline + WINDOW).isoformat()
    checked = [r["outcome"] for r in rows.values() if r["checked_in_at"] is not None]
    assert checked == ["decrypted"]
    assert all("第31条" in r["cause"] for r in rows.values() if r["outcome"] == "revoked")
    assert closed is not None
    # Running it again (a second reconciliation, a restart) changes nothing.
    await scheduler.reconcile()
    assert await statuses(rt, lot) == seen
    too_late = await release(client, lot, "bidder-1", await file_key_of(rt, lot, "bidder-1"))
    assert too_late.json()["state"] == "opened"


async def _seal_without_own_stanza(rt: Runtime, lot: Lot, username: str, price: str) -> None:
    """A bid only the custodians' key opens (sealed with the CLI's --no-self)."""
    user = await demo_user(rt, username)
    identity = demo_identity(rt, username)
    assert lot.opening_pub is not None
    with tempfile.TemporaryDirectory() as tmp:
        async with rt.sessionmaker() as session:
            org = await session.get(Organization, user.org_id)
            assert org is not None
            sealed = seal_bid(
                identity,
                lot_id=envelope_lot_id(lot.id),
                bidder_id=org.uscc,
                version=1,
                opening_pub=b64u_decode(lot.opening_pub, length=32),
                price_form={"price": price, "duration_days": 180, "quality": "合格"},
                out=Path(tmp) / "bid.sealed",
                to_self=False,
            )
            staged = await rt.blobs.stage(iter_file(sealed.path), max_size=submission.MAX_BID_BYTES)
            await submission.submit_bid(
                session, lot.id, actor_for(user), staged, sealed.signature, rt.context()
            )


async def test_a_bid_only_custodians_could_open_is_withdrawn_not_revoked(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot, {"bidder-1": "9100000.00", "bidder-2": "8950000.00"})
    await _seal_without_own_stanza(rt, lot, "bidder-3", "9230000.00")
    scheduler = scheduler_for(rt)
    clock.set(lot.bid_deadline)
    await scheduler.reconcile()
    clock.advance(WINDOW)
    await scheduler.reconcile()
    seen = await statuses(rt, lot)
    assert seen["bidder-1"][0] == seen["bidder-2"][0] == BidStatus.REVOKED
    status, cause = seen["bidder-3"]
    # Not the bidder's fault: the custodians did not release enough shares (撤回).
    assert status == BidStatus.FAILED and "保管人" in cause and "第31条" in cause


async def test_released_shares_open_what_bidders_left_sealed(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    """k shares in before the window ends: the custodians' key opens every bid, no cause."""
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline)
    await flows.start(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    assert {s for s, _c in (await statuses(rt, lot)).values()} == {BidStatus.DECRYPTED}


async def test_window_end_races_a_late_file_key_one_outcome(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    """The release read the clock a moment before the end, the closer at the end: whichever
    commits first decides the bid; exactly one decision and one audit entry for it."""
    lot = await publish_lot()
    await bid(lot)
    key = await file_key_of(rt, lot, "bidder-1")
    clock.set(lot.bid_deadline)
    await flows.start(rt, lot.id)
    await flows.job_done(rt, lot.id)
    clock.advance(WINDOW)
    before = FixedClock(clock.now() - timedelta(milliseconds=1))
    user = await demo_user(rt, "bidder-1")
    late_ctx = dataclasses.replace(rt.context(), now=before.now(), clock=before)

    async def late_release() -> Any:
        async with rt.sessionmaker() as session:
            try:
                return await own_key.release_file_key(
                    session, lot.id, actor_for(user), key, late_ctx
                )
            except Exception as exc:  # the loser may be refused; the test reads the database
                return exc

    async def close() -> Any:
        async with rt.sessionmaker() as session:
            return await opening_service.advance_opening(
                session, lot.id, rt.context(), owner="closer"
            )

    await asyncio.gather(late_release(), close())
    await flows.job_done(rt, lot.id)
    await flows.run_opening(rt, lot.id)  # whatever is left (if the release won) ends now
    async with rt.sessionmaker() as session:
        bid_row = await session.scalar(
            select(Bid).where(Bid.lot_id == lot.id, Bid.bidder_org_id == user.org_id)
        )
        decisions = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action.like("opening.bid_%")))
        )
        fresh = await session.get(Lot, lot.id)
    assert bid_row is not None and bid_row.status in (BidStatus.DECRYPTED, BidStatus.REVOKED)
    mine = [e for e in decisions if json.loads(e.body)["detail"].get("bid_id") == bid_row.id]
    assert len(mine) == 1 and mine[0].action == f"opening.bid_{bid_row.status}"
    assert len(decisions) == 3 and fresh is not None and fresh.state == LotState.OPENED


async def test_late_file_key_after_the_window_is_refused_and_recorded(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    key = await file_key_of(rt, lot, "bidder-1")
    clock.set(lot.bid_deadline)
    await flows.start(rt, lot.id)
    await flows.job_done(rt, lot.id)
    clock.advance(WINDOW)  # nobody closed it yet (no scheduler here): the server still refuses
    late = await release(client, lot, "bidder-1", key)
    assert late.status_code == 409 and "第31条" in late.json()["detail"]
    async with rt.sessionmaker() as session:
        refused = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "opening.file_key_late_refused")
        )
    assert refused is not None
    assert (await statuses(rt, lot))["bidder-1"][0] in (BidStatus.ACTIVE, BidStatus.REVOKED)


async def test_the_platform_reminds_who_has_not_acted_once_per_five_minutes(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline)
    await flows.start(rt, lot.id)
    await flows.job_done(rt, lot.id)
    key = await file_key_of(rt, lot, "bidder-2")
    assert (await release(client, lot, "bidder-2", key)).status_code == 202
    await settled(client, rt, lot.id)
    assert await flows.remind_due(rt) == 3 + 2  # three custodians, bidders 1 and 3
    clock.advance(timedelta(minutes=4))
    assert await flows.remind_due(rt) == 0  # not again within 5 minutes
    clock.advance(timedelta(minutes=1, seconds=1))
    assert await flows.remind_due(rt) == 5
    async with rt.sessionmaker() as session:
        notices = list(
            await session.scalars(
                select(Notice).where(Notice.lot_id == lot.id, Notice.kind == "reminder")
            )
        )
        system = list(await session.scalars(select(Reminder).where(Reminder.sent_by_id.is_(None))))
    assert len(notices) == 4 and len(system) == 10
    clock.set(lot.bid_deadline + WINDOW)
    assert await flows.remind_due(rt) == 0  # the window is over: nobody is reminded
