"""Submission, deadline, opening and award through the real services on an injected clock."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bidding.opening import decryption
from bidding.opening import service as opening
from bidding.opening.flows import run_opening
from bidding.opening.lease import LEASE
from bidding.opening.models import Opening
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import evaluate_and_award, release_shares
from crypto.receipts import verify_receipt
from trading.announcements.models import Announcement
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.actor import SCHEDULER
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot
from trading.reports.service import lot_savings


async def state_of(rt: Runtime, lot_id: int) -> str:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        return lot.state


async def test_full_lifecycle_to_award_with_savings(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    assert lot.state == LotState.ANNOUNCED and lot.opening_pub
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    clock.advance(timedelta(minutes=5))
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
        assert opening is not None and opening.record is not None
        prices = sorted(row["price"] for row in opening.record["record"]["rows"])
    assert prices == ["8950000.00", "9100000.00", "9230000.00"]
    clock.advance(timedelta(days=1))
    awarded = await evaluate_and_award(rt, lot.id, "450100", clock.advance)
    assert awarded.state == LotState.AWARDED
    # Low-price method: the lowest valid price wins; savings against the control price.
    assert awarded.award_price == Decimal("8950000.00")
    assert lot_savings(awarded) == (Decimal("550000.00"), Decimal("5.79"))


async def test_receipt_verifies_offline_with_platform_key(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot, {"bidder-1": "100.00"})
    async with rt.sessionmaker() as session:
        stored = await session.scalar(select(Bid).where(Bid.lot_id == lot.id))
    assert stored is not None
    verify_receipt(stored.receipt, rt.platform.sign_pub)
    assert stored.receipt["ciphertext_sha256"] == stored.ciphertext_sha256
    tampered = dict(stored.receipt, received_at="2020-01-01T00:00:00+00:00")
    with pytest.raises(Exception, match=r"signature|receipt"):
        verify_receipt(tampered, rt.platform.sign_pub)


async def test_late_submission_refused_at_deadline(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    clock.set(lot.bid_deadline)  # the deadline instant itself is already too late
    with pytest.raises(Conflict, match="deadline"):
        await bid(lot, {"bidder-1": "100.00"})
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count(Bid.id))) == 0
    assert not any(p.is_file() for p in (rt.settings.blob_dir).rglob("*") if p.parent.name != "tmp")
    assert list((rt.settings.blob_dir / "tmp").iterdir()) == []


async def test_early_opening_refused_and_nothing_changes(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline - timedelta(seconds=1))
    with pytest.raises(Conflict, match="deadline"):
        await run_opening(rt, lot.id)
    assert await state_of(rt, lot.id) == LotState.ANNOUNCED


async def test_custodian_share_refused_before_deadline(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    with pytest.raises(Conflict, match="opening"):
        await release_shares(rt, lot.id, lambda _m: None)
    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
    assert opening is None


async def test_double_trigger_opens_once(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline + timedelta(hours=3))  # late trigger: same result as on time
    assert await run_opening(rt, lot.id) == LotState.OPENING
    assert await run_opening(rt, lot.id) == LotState.OPENING
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count(Opening.lot_id))) == 1


async def test_fewer_than_three_bids_fails_the_lot(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot, {"bidder-1": "100.00", "bidder-2": "120.00"})
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.FAILED
    async with rt.sessionmaker() as session:
        failed = await session.get(Lot, lot.id)
        kinds = list(
            await session.scalars(select(Announcement.kind).where(Announcement.lot_id == lot.id))
        )
    assert failed is not None and "招标投标法" in failed.failure_reason
    assert "failure" in kinds


async def test_replaced_bid_last_version_counts(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    from bidhall.demo import submit_bids

    lot = await publish_lot()
    await bid(lot)
    # A second seal with the same version is a replay and is refused.
    with pytest.raises(Conflict, match="version"):
        await submit_bids(rt, lot, {"bidder-1": "1.00"}, lambda _m: None)
    async with rt.sessionmaker() as session:
        active = await session.scalar(
            select(func.count(Bid.id)).where(Bid.lot_id == lot.id, Bid.status == BidStatus.ACTIVE)
        )
    assert active == 3


async def test_tampered_ciphertext_is_revoked_with_cause(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    async with rt.sessionmaker() as session:
        victim = await session.scalar(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.id))
    assert victim is not None
    path = rt.blobs.path_for(victim.ciphertext_sha256)
    data = bytearray(path.read_bytes())
    data[-40] ^= 0x01  # flip one payload byte after submission
    path.write_bytes(bytes(data))
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    async with rt.sessionmaker() as session:
        after = await session.get(Bid, victim.id)
    assert after is not None and after.status == BidStatus.REVOKED
    assert "authentication" in after.failure_cause and after.price is None


async def test_missing_blob_counts_as_platform_fault(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    async with rt.sessionmaker() as session:
        victim = await session.scalar(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.id))
    assert victim is not None
    rt.blobs.delete(victim.ciphertext_sha256)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    await release_shares(rt, lot.id, lambda _m: None)
    async with rt.sessionmaker() as session:
        after = await session.get(Bid, victim.id)
    assert after is not None and after.status == BidStatus.FAILED


async def test_opening_in_worker_processes_decides_every_bid(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's path: bids decrypted in spawned worker processes (the store travels as its
    root), the outcomes and prices the same as in threads."""
    monkeypatch.setattr(rt, "settings", rt.settings.with_(decrypt_processes=1))
    lot = await publish_lot()
    prices = {"bidder-1": "9000000.10", "bidder-2": "8900000.20", "bidder-3": "9200000.30"}
    await bid(lot, prices)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    try:
        await opening.start_decryptors(rt.settings)
        assert isinstance(opening.decryptors(rt.settings), ProcessPoolExecutor)
        assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    finally:
        opening.stop_decryptors()
    async with rt.sessionmaker() as session:
        bids = list(await session.scalars(select(Bid).where(Bid.lot_id == lot.id)))
    assert [b.status for b in bids] == [BidStatus.DECRYPTED] * len(bids)
    assert sorted(b.price for b in bids) == sorted(Decimal(p) for p in prices.values())


async def test_crash_mid_opening_resumes(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner dies after decrypting one bid, its lease held; another runner waits out the
    lease, then finishes the rest once."""
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    real = decryption.decide
    calls = 0

    def dies_at_second(*args: Any) -> Any:
        # From the second bid on, until the power is back: a retry (another custodian's
        # release kicks the opening again) dies the same way instead of finishing the lot.
        nonlocal calls
        calls += 1
        if calls >= 2:
            raise SystemError("power cut")
        return real(*args)

    # One bid per batch: the first is committed, the second dies mid-way.
    monkeypatch.setattr(opening, "BATCH", 1)
    monkeypatch.setattr(opening, "CHUNK", 1)
    monkeypatch.setattr(decryption, "decide", dies_at_second)
    # The background job fails (logged); the lot stays in its opening.
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENING
    async with rt.sessionmaker() as session:
        decided = list(await session.scalars(select(Bid.status).where(Bid.lot_id == lot.id)))
    assert sorted(decided) == [BidStatus.ACTIVE, BidStatus.ACTIVE, BidStatus.DECRYPTED]
    monkeypatch.setattr(decryption, "decide", real)
    # A process that dies outright leaves its lease behind: nobody else decrypts meanwhile.
    async with rt.sessionmaker() as session, writing(session):
        await session.execute(
            update(Opening)
            .where(Opening.lot_id == lot.id)
            .values(lease_owner="dead-process", lease_until=clock.now() + LEASE)
        )
    assert await run_opening(rt, lot.id) == LotState.OPENING
    clock.advance(LEASE + timedelta(seconds=1))
    assert await run_opening(rt, lot.id) == LotState.OPENED  # what reconciliation runs
    async with rt.sessionmaker() as session:
        statuses = list(await session.scalars(select(Bid.status).where(Bid.lot_id == lot.id)))
        decrypted_entries = await session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action == "opening.bid_decrypted")
        )
    assert statuses == [BidStatus.DECRYPTED] * 3
    assert decrypted_entries == 3


async def test_scheduler_actor_cannot_open_early_via_service(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot()
    async with rt.sessionmaker() as session:
        with pytest.raises(Conflict):
            await opening.start_opening(session, lot.id, SCHEDULER, rt.context())


async def test_wrong_custodian_cannot_release(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()  # custodians of center 450100
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    async with rt.sessionmaker() as session:
        other = await session.scalar(select(User).where(User.username == "custodian-450200-1"))
        assert other is not None
        with pytest.raises(Exception, match="key share"):
            await opening.release_share(session, lot.id, actor_for(other), {}, rt.context())
