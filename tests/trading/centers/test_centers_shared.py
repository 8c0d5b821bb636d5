"""What centers share (bidders and their keys) and what they do not (custodians)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bidding.opening import service as opening
from bidding.opening.flows import run_opening
from bidding.opening.models import ReleasedShare
from bidding.submission.models import Bid
from bidhall.demo import demo_identity
from crypto.custody import CustodyBundle, open_share
from crypto.receipts import verify_receipt
from tests.support.clients import Client
from tests.trading.centers.conftest import actor, lot_state, token
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Forbidden
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization, PartyKey
from trading.projects.models import Lot


async def test_one_bidder_bids_in_two_centers_with_one_key(
    rt: Runtime, publish_lot: Any, bid: Any
) -> None:
    nanning = await publish_lot(center="450100")
    liuzhou = await publish_lot(center="450200", title="柳州项目")
    await bid(nanning, {"bidder-1": "9000000.00"})
    await bid(liuzhou, {"bidder-1": "9100000.00"})
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == "bidder-1"))
        assert user is not None and user.center_id is None  # belongs to no center
        keys = await session.scalar(
            select(func.count(PartyKey.id)).where(
                PartyKey.user_id == user.id, PartyKey.revoked_at.is_(None)
            )
        )
        bids = list(await session.scalars(select(Bid).where(Bid.submitted_by_id == user.id)))
    assert keys == 1
    assert {b.lot_id for b in bids} == {nanning.id, liuzhou.id}
    assert len({b.bidder_org_id for b in bids}) == 1
    for b in bids:
        verify_receipt(b.receipt, rt.platform.sign_pub)


async def custodian_ids(rt: Runtime, center: str) -> set[int]:
    async with rt.sessionmaker() as session:
        rows = await session.scalars(
            select(User.id).where(User.username.like(f"custodian-{center}-%"))
        )
        return set(rows)


@pytest.fixture
async def opening_lot(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> Lot:
    lot = await publish_lot(center="450100")
    await bid(lot)
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == LotState.OPENING
    clock.advance(timedelta(minutes=5))
    return lot


async def test_custody_is_per_center(rt: Runtime, opening_lot: Lot) -> None:
    assert opening_lot.custody is not None
    assert set(opening_lot.custody["custodians"]) == await custodian_ids(rt, "450100")
    assert not set(opening_lot.custody["custodians"]) & await custodian_ids(rt, "450200")


async def genuine_share(rt: Runtime, lot: Lot) -> dict[str, Any]:
    """A real share, opened by one of the lot's own custodians (what an attacker might copy)."""
    assert lot.custody is not None
    bundle = CustodyBundle.from_dict(lot.custody["bundle"])
    identity = demo_identity(rt, "custodian-450100-1")
    return open_share(bundle.share_for(identity.enc_pub), identity.enc_priv).to_dict()


async def released(rt: Runtime, lot_id: int) -> int:
    async with rt.sessionmaker() as session:
        n = await session.scalar(
            select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot_id)
        )
    return n or 0


async def test_another_centers_custodian_cannot_release(
    rt: Runtime, client: Client, opening_lot: Lot
) -> None:
    share = await genuine_share(rt, opening_lot)
    outsider = await actor(rt, "custodian-450200-1")
    async with rt.sessionmaker() as session:
        with pytest.raises(Forbidden):
            await opening.release_share(session, opening_lot.id, outsider, share, rt.context())
    headers = await token(client, "custodian-450200-1")
    base = f"/api/v1/lots/{opening_lot.id}/custody"
    assert (await client.get(f"{base}/mine", headers=headers)).status_code == 403
    r = await client.post(f"{base}/release", json={"share": share}, headers=headers)
    assert r.status_code == 403, r.text
    assert await released(rt, opening_lot.id) == 0
    assert await lot_state(rt, opening_lot.id) == LotState.OPENING
    # The lot's own custodian releases the very same share.
    own = await token(client, "custodian-450100-1")
    assert (await client.get(f"{base}/mine", headers=own)).status_code == 200
    r = await client.post(f"{base}/release", json={"share": share}, headers=own)
    assert r.status_code == 202, r.text  # accepted: the opening goes on in the background
    assert await released(rt, opening_lot.id) == 1


async def test_demo_network_shows_centers_apart_and_rolled_up(rt: Runtime, client: Client) -> None:
    """`bidhall seed`'s history: projects in all four centers, one failed, one cancelled,
    one unpublished county project that only supervisors above it can read."""
    from bidhall.demo import HISTORY, seed_history

    await seed_history(rt, rt.clock.now(), lambda _m: None)
    centers = {row["code"]: row for row in (await client.get("/api/v1/centers")).json()}
    for code in ("450000", "450100", "450102", "450200"):
        assert centers[code]["awarded"] >= 1, code
    awarded = sum(1 for plan in HISTORY if plan.outcome == "award")
    assert centers["450000"]["awarded_subtree"] == awarded
    everything = (await client.get("/api/v1/stats", params={"center": "450000"})).json()
    assert everything["total"]["count"] == awarded
    assert everything["failed"]["count"] == 1 and everything["cancelled"]["count"] == 1
    parts = [
        (await client.get("/api/v1/stats", params={"center": c, "scope": "self"})).json()
        for c in ("450000", "450100", "450102", "450200")
    ]
    assert sum(int(p["total"]["count"]) for p in parts) == awarded
    assert sum(float(p["total"]["savings_total"]) for p in parts) == pytest.approx(
        float(everything["total"]["savings_total"])
    )
    async with rt.sessionmaker() as session:
        draft = await session.scalar(
            select(Lot).where(Lot.state == LotState.DRAFT).order_by(Lot.id.desc())
        )
        assert draft is not None
        assert await session.scalar(select(func.count(Organization.id)))
    for who, status in [
        ("supervisor-450100", 200),
        ("supervisor-450000", 200),
        ("staff-450200", 404),
    ]:
        r = await client.get(
            f"/api/v1/projects/{draft.project_id}", headers=await token(client, who)
        )
        assert r.status_code == status, who
