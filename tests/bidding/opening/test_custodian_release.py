"""Issue 13: a custodian's release, as the API sees it. Anything that is not this custodian's
share of this lot is a 422 problem with a sentence (never a 500, never stored); a second
release is a 409; the sealed share is refused to a key it was not sealed to."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bidding.opening.flows import run_opening
from bidding.opening.models import ReleasedShare
from bidhall.demo import demo_identity
from crypto.custody import CustodyBundle, open_share
from crypto.encoding import b64u_decode, b64u_encode
from crypto.keys import generate_identity
from tests.support.clients import Client, bearer, settled
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot


async def opened_shares(rt: Runtime, lot_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(username, released share) of each custodian, opened with its own key file."""
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None and lot.custody is not None
        users = [await session.get(User, uid) for uid in lot.custody["custodians"]]
        bundle = CustodyBundle.from_dict(lot.custody["bundle"])
    out = []
    for user in users:
        assert user is not None
        identity = demo_identity(rt, user.username)
        out.append(
            (
                user.username,
                open_share(bundle.share_for(identity.enc_pub), identity.enc_priv).to_dict(),
            )
        )
    return out


async def stored(rt: Runtime, lot_id: int) -> int:
    async with rt.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot_id)
            )
            or 0
        )


@pytest.fixture
async def two_lots(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> tuple[Lot, Lot]:
    """Two lots of one center (same custodians) at their opening, no share released yet."""
    first = await publish_lot(title="分片校验工程一")
    second = await publish_lot(title="分片校验工程二")
    await bid(first)
    await bid(second)
    clock.set(first.bid_deadline)
    assert await run_opening(rt, first.id) == LotState.OPENING
    assert await run_opening(rt, second.id) == LotState.OPENING
    return first, second


GARBAGE: list[Any] = [
    {"share": "garbage"},
    {"share": 5},
    {"share": None},
    {"share": []},
    {"share": {}},
    {},
    {"share": {"custody_id": "AAAA", "index": 1, "share": "AAAA"}},
    {"share": {"custody_id": "A" * 22, "index": "1", "share": "A" * 22}},
    {"share": {"custody_id": "A" * 22, "index": 10**9, "share": "A" * 22}},
    {"share": {"custody_id": "A" * 22, "index": 1, "share": "!" * 22}},
]


async def test_garbage_is_a_422_problem_and_nothing_is_kept(
    rt: Runtime, client: Client, two_lots: tuple[Lot, Lot]
) -> None:
    lot, _ = two_lots
    (username, _share), *_ = await opened_shares(rt, lot.id)
    me = await bearer(client, username)
    for body in GARBAGE:
        r = await client.post(f"/api/v1/lots/{lot.id}/custody/release", json=body, headers=me)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "not a released key share" in r.json()["detail"], r.text
        assert "Traceback" not in r.text and "KeyError" not in r.text
    raw = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release",
        content=b"{not json",
        headers={**me, "Content-Type": "application/json"},
    )
    assert 400 <= raw.status_code < 500 and raw.status_code != 404
    assert await stored(rt, lot.id) == 0


async def test_another_lots_or_another_custodians_share_is_refused(
    rt: Runtime, client: Client, two_lots: tuple[Lot, Lot]
) -> None:
    lot, other_lot = two_lots
    (first, first_share), (second, second_share), *_ = await opened_shares(rt, lot.id)
    (_, first_other_lot), *_ = await opened_shares(rt, other_lot.id)
    me = await bearer(client, first)

    wrong_lot = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release", json={"share": first_other_lot}, headers=me
    )
    assert wrong_lot.status_code == 422
    assert "another lot's opening key" in wrong_lot.json()["detail"]

    # A custodian replaying a colleague's share (seen over a shoulder, say) is not that colleague.
    not_mine = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release", json={"share": second_share}, headers=me
    )
    assert not_mine.status_code == 422
    assert "this is not your share" in not_mine.json()["detail"]
    assert await stored(rt, lot.id) == 0

    ok = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release", json={"share": first_share}, headers=me
    )
    assert ok.status_code == 202 and ok.json()["state"] == "opening"
    again = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release", json={"share": first_share}, headers=me
    )
    assert again.status_code == 409
    assert "released your share of this lot already" in again.json()["detail"]
    assert await stored(rt, lot.id) == 1

    colleague = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release",
        json={"share": second_share},
        headers=await bearer(client, second),
    )
    assert colleague.status_code == 202
    assert await stored(rt, lot.id) == 2


async def test_a_share_with_other_bytes_is_refused_and_the_honest_ones_still_open_the_lot(
    rt: Runtime, client: Client, two_lots: tuple[Lot, Lot]
) -> None:
    """Right lot, right index, other bytes (a slip, or a custodian sabotaging the opening):
    refused against the share's digest at release, never stored, so the shares of the honest
    custodians still rebuild the key."""
    lot, _ = two_lots
    shares = await opened_shares(rt, lot.id)
    (saboteur, real), *honest = shares
    raw = bytearray(b64u_decode(real["share"], length=16))
    raw[0] ^= 1
    forged = {**real, "share": b64u_encode(bytes(raw))}
    r = await client.post(
        f"/api/v1/lots/{lot.id}/custody/release",
        json={"share": forged},
        headers=await bearer(client, saboteur),
    )
    assert r.status_code == 422, r.text
    assert "its digest differs" in r.json()["detail"]
    assert await stored(rt, lot.id) == 0
    async with rt.sessionmaker() as session:
        current = await session.get(Lot, lot.id)
        assert current is not None and current.custody is not None
        bundle = CustodyBundle.from_dict(current.custody["bundle"])
    for username, share in honest[: bundle.threshold]:
        ok = await client.post(
            f"/api/v1/lots/{lot.id}/custody/release",
            json={"share": share},
            headers=await bearer(client, username),
        )
        assert ok.status_code == 202, ok.text
    assert await settled(client, rt, lot.id) == LotState.OPENED


async def test_sealed_share_after_a_key_change_is_explained(
    rt: Runtime, client: Client, two_lots: tuple[Lot, Lot]
) -> None:
    lot, _ = two_lots
    (username, _), *_ = await opened_shares(rt, lot.id)
    me = await bearer(client, username)
    assert (await client.get(f"/api/v1/lots/{lot.id}/custody/mine", headers=me)).status_code == 200
    fresh = generate_identity().public().to_dict()
    assert (await client.put("/api/v1/me/keys", json=fresh, headers=me)).status_code == 200
    r = await client.get(f"/api/v1/lots/{lot.id}/custody/mine", headers=me)
    assert r.status_code == 404
    assert "sealed to a key you registered before" in r.json()["detail"]
