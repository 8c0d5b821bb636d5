"""签到 on the hall page without script: a plain form, CSRF-bound; a refusal re-renders the hall
with the reason and writes nothing; the desk shows who checked in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.opening import flows
from bidding.opening.models import CheckIn
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}


async def counts(rt: Runtime) -> tuple[int, int]:
    async with rt.sessionmaker() as session:
        rows = await session.scalar(select(func.count(CheckIn.id)))
        entries = await session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action == "opening.checked_in")
        )
    return rows or 0, entries or 0


async def test_check_in_form_on_the_hall_page(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    hall = f"/lots/{lot.id}/hall"
    clock.set(lot.bid_deadline - timedelta(hours=2))
    await web_login(client, "bidder-1")
    page = (await client.get(hall, headers=HTML)).text
    assert 'id="my-opening"' in page and 'id="check-in-btn"' not in page  # not open yet
    assert "签到开始时间" in page
    csrf = csrf_of(page)
    early = await client.post(f"{hall}/check-in", data={"_csrf": csrf}, headers=HTML)
    assert early.status_code == 409 and 'id="check-in-error"' in early.text
    assert "第29条" in early.text and await counts(rt) == (0, 0)

    clock.set(lot.bid_deadline - timedelta(minutes=5))
    page = (await client.get(hall, headers=HTML)).text
    assert 'id="check-in-btn"' in page
    forged = await client.post(f"{hall}/check-in", data={"_csrf": "forged"}, headers=HTML)
    assert forged.status_code == 403 and await counts(rt) == (0, 0)
    missing = await client.post(f"{hall}/check-in", data={}, headers=HTML)
    assert missing.status_code == 403 and await counts(rt) == (0, 0)
    done = await client.post(
        f"{hall}/check-in", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == hall
    page = (await client.get(hall, headers=HTML)).text
    assert 'id="checked-in"' in page and 'id="check-in-btn"' not in page
    twice = await client.post(
        f"{hall}/check-in", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert twice.status_code == 303 and await counts(rt) == (1, 1)  # idempotent

    clock.set(lot.bid_deadline)
    await flows.start(rt, lot.id)
    await flows.job_done(rt, lot.id)
    await client.post("/logout", data={"_csrf": csrf}, headers=HTML)
    await web_login(client, "bidder-2")
    page = (await client.get(hall, headers=HTML)).text
    late = await client.post(f"{hall}/check-in", data={"_csrf": csrf_of(page)}, headers=HTML)
    assert late.status_code == 409 and "签到已截止" in late.text and await counts(rt) == (1, 1)

    # The desk (staff) shows who checked in, once the opening lists the bidders.
    await client.post("/logout", data={"_csrf": csrf_of(page)}, headers=HTML)
    await web_login(client, "staff-450100")
    desk = (await client.get(f"/center/lots/{lot.id}/opening", headers=HTML)).text
    assert desk.count('class="checked-in"') == 3
    assert desk.count('<td class="checked-in">—</td>') == 2


async def test_someone_without_a_bid_sees_no_panel_and_cannot_check_in(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    clock.set(lot.bid_deadline - timedelta(minutes=5))
    await web_login(client, "bidder-4")  # enrolled, no bid
    hall = f"/lots/{lot.id}/hall"
    page = (await client.get(hall, headers=HTML)).text
    assert 'id="my-opening"' not in page
    refused = await client.post(f"{hall}/check-in", data={"_csrf": csrf_of(page)}, headers=HTML)
    assert refused.status_code == 404 and await counts(rt) == (0, 0)
