"""The lot desk's evaluation tab: hand over, ranking, candidates publicity and award through the
page forms, the publicity period enforced with its rule shown, a failed lot's reason, and who
may act (staff of the center) or only read (its supervisors)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.opening.flows import run_opening
from bidhall.demo import release_shares
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client
from trading.announcements.models import Announcement
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

HTML = {"Accept": "text/html"}


async def opened(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, **kw: Any) -> Lot:
    lot = await publish_lot(**kw)
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)
    assert await state(rt, lot.id) == LotState.OPENED
    return lot


async def state(rt: Runtime, lot_id: int) -> str:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        return str(lot.state)


async def announcements(rt: Runtime) -> int:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(func.count(Announcement.id))) or 0


async def signed_in(client: Client, username: str, path: str) -> str:
    client.cookies.clear()
    await web_login(client, username)
    r = await client.get(path, headers=HTML)
    assert r.status_code == 200, r.text[-2000:]
    return csrf_of(r.text)


async def test_staff_evaluate_publish_candidates_and_award_after_publicity(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await opened(rt, clock, publish_lot, bid, title="评标标签页测试工程")
    path = f"/center/lots/{lot.id}/evaluation"
    csrf = await signed_in(client, "staff-450100", path)
    r = await client.post(
        f"{path}/evaluate", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and await state(rt, lot.id) == LotState.EVALUATED
    page = (await client.get(path, headers=HTML)).text
    assert 'id="ranking"' in page and "8,950,000.00" in page  # the lowest price ranks first
    assert page.index("8,950,000.00") < page.index("9,100,000.00")
    assert "招标投标法实施条例 第54条" in page and 'id="candidates-form"' in page

    r = await client.post(
        f"{path}/candidates", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and await state(rt, lot.id) == LotState.PUBLICITY
    page = (await client.get(path, headers=HTML)).text
    assert 'id="publicity-ends"' in page and "公示期未满" in page

    before = await announcements(rt)
    early = await client.post(f"{path}/award", data={"_csrf": csrf}, headers=HTML)
    assert early.status_code == 409 and "publicity runs until" in early.text
    assert 'id="award-form"' in early.text  # the tab again, with the message
    assert await state(rt, lot.id) == LotState.PUBLICITY and await announcements(rt) == before

    clock.advance(timedelta(days=3))
    csrf = await signed_in(client, "staff-450100", path)
    assert "公示期已满" in (await client.get(path, headers=HTML)).text
    r = await client.post(
        f"{path}/award", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and await state(rt, lot.id) == LotState.AWARDED
    page = (await client.get(path, headers=HTML)).text
    assert 'id="awarded"' in page and "捌佰玖拾伍万元整" in page


async def test_supervisors_read_others_are_refused_and_failure_is_shown(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await opened(rt, clock, publish_lot, bid)
    path = f"/center/lots/{lot.id}/evaluation"
    csrf = await signed_in(client, "supervisor-450100", path)
    page = (await client.get(path, headers=HTML)).text
    assert 'id="readonly"' in page and 'id="evaluate-form"' not in page
    r = await client.post(f"{path}/evaluate", data={"_csrf": csrf}, headers=HTML)
    assert r.status_code == 403 and await state(rt, lot.id) == LotState.OPENED
    for outsider in ("staff-450200", "staff-450102", "bidder-1", "tenderer-1"):
        csrf = await signed_in(client, outsider, "/")
        assert (await client.get(path, headers=HTML)).status_code == 403, outsider
        r = await client.post(f"{path}/evaluate", data={"_csrf": csrf}, headers=HTML)
        assert r.status_code == 403, outsider
    csrf = await signed_in(client, "staff-450100", path)
    forged = await client.post(f"{path}/evaluate", data={"_csrf": "x"}, headers=HTML)
    assert forged.status_code == 403 and await state(rt, lot.id) == LotState.OPENED


async def test_a_lot_that_failed_at_the_opening_says_why(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot, {"bidder-1": "9100000.00"})
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    assert await state(rt, lot.id) == LotState.FAILED
    path = f"/center/lots/{lot.id}/evaluation"
    await signed_in(client, "staff-450100", path)
    page = (await client.get(path, headers=HTML)).text
    assert 'id="failed"' in page and "第28条" in page and 'id="evaluate-form"' not in page
