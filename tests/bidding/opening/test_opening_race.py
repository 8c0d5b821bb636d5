"""Attack: everyone pushes the opening at once. The k-th share released by two custodians at
the same moment, reconciliation running, and a bidder releasing its own file key: one record,
one decision per bid, no 5xx."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from bidding.client.verify import ApiClient, follow_opening
from bidding.opening import flows
from bidding.opening.models import Opening
from bidding.submission.models import Bid, BidStatus
from bidhall.demo import demo_identity
from crypto.custody import CustodyBundle, open_share
from tests.bidding.opening.test_bidder_decryption import file_key_of
from tests.support.clients import bearer
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot


async def _shares(rt: Runtime, lot: Lot) -> list[tuple[str, dict[str, Any]]]:
    async with rt.sessionmaker() as session:
        fresh = await session.get(Lot, lot.id)
        assert fresh is not None and fresh.custody is not None
        custody = fresh.custody
        users = [await session.get(User, uid) for uid in custody["custodians"]]
    bundle = CustodyBundle.from_dict(custody["bundle"])
    out = []
    for user in users:
        assert user is not None
        identity = demo_identity(rt, user.username)
        released = open_share(bundle.share_for(identity.enc_pub), identity.enc_priv)
        out.append((user.username, released.to_dict()))
    assert int(custody["threshold"]) == len(out) - 1, "the race needs k = n - 1"
    return out


async def test_kth_share_twice_with_reconcile_and_a_file_key_opens_once(
    rt: Runtime, live_server: str, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    """The server (its own runtime: a second process as far as leases go) and this test's
    runtime reconciling, on one database, over real HTTP."""
    lot = await publish_lot()
    await bid(lot)
    key = await file_key_of(rt, lot, "bidder-2")
    clock.set(lot.bid_deadline)
    assert await flows.start(rt, lot.id) == LotState.OPENING
    shares = await _shares(rt, lot)
    first, *last_two = shares

    client = httpx.AsyncClient(base_url=live_server, timeout=60)

    async def release(username: str, share: dict[str, Any]) -> int:
        response = await client.post(
            f"/api/v1/lots/{lot.id}/custody/release",
            json={"share": share},
            headers=await bearer(client, username),
        )
        return response.status_code

    async def own_key() -> int:
        response = await client.post(
            f"/api/v1/lots/{lot.id}/bids/mine/file-key",
            json={"file_key": key},
            headers=await bearer(client, "bidder-2"),
        )
        return response.status_code

    assert await release(*first) == 202  # k - 1 shares: nothing to decrypt yet
    statuses = await asyncio.gather(
        release(*last_two[0]), release(*last_two[1]), own_key(), flows.run_opening(rt, lot.id)
    )
    await flows.settled(rt, lot.id)
    # The server's own job may still be finishing: follow the hall until the lot settles.
    with ApiClient(live_server) as api:
        assert await asyncio.to_thread(follow_opening, api, lot.id, lambda _m: None) == "opened"
    await client.aclose()

    assert statuses[:3] == [202, 202, 202]
    async with rt.sessionmaker() as session:
        fresh = await session.get(Lot, lot.id)
        opening = await session.get(Opening, lot.id)
        bids = list(await session.scalars(select(Bid).where(Bid.lot_id == lot.id)))
        actions = Counter(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.target_type == "lot", AuditEntry.target_id == str(lot.id)
                )
            )
        )
        decided = list(
            await session.scalars(
                select(AuditEntry.body).where(AuditEntry.action == "opening.bid_decrypted")
            )
        )
    assert fresh is not None and fresh.state == LotState.OPENED
    assert opening is not None and opening.record is not None
    assert all(b.status == BidStatus.DECRYPTED for b in bids)
    # One record, one key recovery, one decision per bid, whoever got there first.
    assert actions["opening.record_published"] == 1
    assert actions["opening.key_recovered"] <= 1
    assert actions["opening.bid_decrypted"] == len(bids) == len(decided)
    assert all(f'"bid_id":{b.id},' in "".join(decided) for b in bids)
    assert sorted(Decimal(r["price"]) for r in opening.record["record"]["rows"]) == sorted(
        b.price for b in bids
    )
