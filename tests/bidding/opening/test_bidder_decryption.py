"""不见面开标: bidders open their own bids at the opening by releasing the file key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bidding.client.sealing import own_file_key
from bidding.opening.flows import run_opening
from bidding.opening.models import Opening
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import demo_identity, release_shares
from crypto import envelope
from tests.support.clients import Client, bearer, settled
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot


async def file_key_of(rt: Runtime, lot: Lot, username: str) -> str:
    """What the bidder's own machine computes from its sealed file and its key file."""
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        bid = await session.scalar(
            select(Bid).where(Bid.lot_id == lot.id, Bid.bidder_org_id == user.org_id)
        )
    assert bid is not None
    with rt.blobs.open(bid.ciphertext_sha256) as fh:
        header = envelope.read_header(fh)
    return own_file_key(header, demo_identity(rt, username))


async def release(client: Client, lot: Lot, username: str, key: str) -> Any:
    return await client.post(
        f"/api/v1/lots/{lot.id}/bids/mine/file-key",
        json={"file_key": key},
        headers=await bearer(client, username),
    )


async def test_all_bidders_decrypt_and_the_record_needs_no_custodian(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)  # bidder-1, bidder-2, bidder-3 in that order
    keys = {u: await file_key_of(rt, lot, u) for u in ("bidder-1", "bidder-2", "bidder-3")}
    early = await release(client, lot, "bidder-1", keys["bidder-1"])
    assert early.status_code == 409  # never before the opening
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    answers = [await release(client, lot, u, k) for u, k in keys.items()]
    # Accepted; the record follows in the lot's background job once every bid is decided.
    assert [(a.status_code, a.json()["state"]) for a in answers] == [(202, "opening")] * 3
    assert await settled(client, rt, lot.id) == LotState.OPENED
    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
    assert opening is not None and opening.record is not None
    assert opening.opening_priv is None  # the custodians' key was never needed
    prices = sorted(r["price"] for r in opening.record["record"]["rows"])
    assert prices == ["8950000.00", "9100000.00", "9230000.00"]


async def test_wrong_key_changes_nothing_and_custodians_finish(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    other_key = await file_key_of(rt, lot, "bidder-2")
    own_key = await file_key_of(rt, lot, "bidder-1")
    clock.set(lot.bid_deadline + timedelta(minutes=1))
    await run_opening(rt, lot.id)
    stolen = await release(client, lot, "bidder-1", other_key)  # another bidder's key
    assert stolen.status_code == 422 and "does not open your bid" in stolen.json()["detail"]
    junk = await release(client, lot, "bidder-1", "A" * 43)
    assert junk.status_code == 422
    async with rt.sessionmaker() as session:
        statuses = list(await session.scalars(select(Bid.status).order_by(Bid.id)))
    assert statuses == [BidStatus.ACTIVE] * 3
    assert (await release(client, lot, "bidder-1", own_key)).json()["state"] == "opening"
    # The custodians' key opens the two bids still sealed; the record then covers all three.
    assert await release_shares(rt, lot.id, lambda _m: None) == LotState.OPENED
    async with rt.sessionmaker() as session:
        statuses = list(await session.scalars(select(Bid.status).order_by(Bid.id)))
    assert statuses == [BidStatus.DECRYPTED] * 3
    again = await release(client, lot, "bidder-1", own_key)
    assert again.json()["state"] == "opened"  # late repeats change nothing


async def test_only_a_bidder_of_the_lot_releases(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    key = await file_key_of(rt, lot, "bidder-1")
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    outsider = await release(client, lot, "bidder-4", key)  # registered bidder, no bid here
    assert outsider.status_code == 404
    staff = await client.post(
        f"/api/v1/lots/{lot.id}/bids/mine/file-key",
        json={"file_key": key},
        headers=await bearer(client, "staff-450100"),
    )
    assert staff.status_code == 403
