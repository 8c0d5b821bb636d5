"""The custodian pages: the lots it holds a share of; a release refused before the deadline."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.opening.flows import run_opening
from bidding.opening.models import ReleasedShare
from bidhall.demo import demo_identity
from crypto.custody import CustodyBundle, open_share
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client
from trading.auth.models import User
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

HTML = {"Accept": "text/html"}


async def first_custodian(rt: Runtime, lot: Lot) -> tuple[str, str]:
    """(username, released share JSON) of the lot's first custodian, opened with its own key."""
    assert lot.custody is not None
    async with rt.sessionmaker() as session:
        user = await session.get(User, lot.custody["custodians"][0])
        assert user is not None
    identity = demo_identity(rt, user.username)
    bundle = CustodyBundle.from_dict(lot.custody["bundle"])
    released = open_share(bundle.share_for(identity.enc_pub), identity.enc_priv)
    return user.username, json.dumps(released.to_dict())


async def released_count(rt: Runtime, lot_id: int) -> int:
    async with rt.sessionmaker() as session:
        count = await session.scalar(
            select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot_id)
        )
    return count or 0


async def test_custodian_sees_its_lots_and_release_waits_for_the_deadline(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, client: Client
) -> None:
    lot = await publish_lot(title="保管人页面测试工程")
    username, share = await first_custodian(rt, lot)
    await web_login(client, username)

    home = await client.get("/custodian", headers=HTML)
    assert home.status_code == 200
    assert f'data-lot-id="{lot.id}"' in home.text and "保管人页面测试工程" in home.text
    assert "0 / 2" in home.text

    page = await client.get(f"/custodian/lots/{lot.id}", headers=HTML)
    assert page.status_code == 200 and "开标时间未到" in page.text
    csrf = csrf_of(page.text)
    early = await client.post(
        f"/custodian/lots/{lot.id}/release", data={"_csrf": csrf, "share": share}, headers=HTML
    )
    assert early.status_code == 409, early.text[-3000:]
    assert "key shares are accepted only at the opening" in early.text
    assert await released_count(rt, lot.id) == 0

    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    client.cookies.clear()  # three weeks on, the web session has expired: sign in again
    await web_login(client, username)
    page = await client.get(f"/custodian/lots/{lot.id}", headers=HTML)
    assert "开标时间未到" not in page.text
    csrf = csrf_of(page.text)
    wrong = await client.post(
        f"/custodian/lots/{lot.id}/release", data={"_csrf": "forged", "share": share}, headers=HTML
    )
    assert wrong.status_code == 403
    junk = await client.post(
        f"/custodian/lots/{lot.id}/release",
        data={"_csrf": csrf, "share": "{not json"},
        headers=HTML,
    )
    assert junk.status_code == 422 and "JSON" in junk.text
    forged = json.dumps({"custody_id": "AAAA", "index": 1, "share": "AAAA"})
    bad = await client.post(
        f"/custodian/lots/{lot.id}/release", data={"_csrf": csrf, "share": forged}, headers=HTML
    )
    assert bad.status_code == 422 and "not a released key share" in bad.text
    assert await released_count(rt, lot.id) == 0

    ok = await client.post(
        f"/custodian/lots/{lot.id}/release", data={"_csrf": csrf, "share": share}, headers=HTML
    )
    assert ok.status_code == 200, ok.text  # after the redirect (POST, then GET)
    assert "已提交，开标进行中" in ok.text and 'id="progress">1 / 2<' in ok.text
    assert await released_count(rt, lot.id) == 1
    twice = await client.post(
        f"/custodian/lots/{lot.id}/release", data={"_csrf": csrf, "share": share}, headers=HTML
    )
    assert twice.status_code == 409 and "已于" in twice.text and "released your share" in twice.text
    assert await released_count(rt, lot.id) == 1


async def test_custodian_pages_need_the_role_and_the_share(
    rt: Runtime, publish_lot: Any, client: Client
) -> None:
    lot = await publish_lot()
    # Anonymous: the sign-in page, which returns here (tests/trading/auth/test_sign_in_redirect.py).
    anonymous = await client.get("/custodian", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fcustodian"
    await web_login(client, "bidder-1")
    assert (await client.get("/custodian", headers=HTML)).status_code == 403
    # A custodian of another center holds no share of this lot.
    client.cookies.clear()
    await web_login(client, "custodian-450200-1")
    home = await client.get("/custodian", headers=HTML)
    assert home.status_code == 200 and f'data-lot-id="{lot.id}"' not in home.text
    assert (await client.get(f"/custodian/lots/{lot.id}", headers=HTML)).status_code == 403
