"""The public read model (bidding/portal/service.py) and the pages built on it.

The Core selects must show what the ORM path showed: a lot taken to its award is read both
ways and compared (savings, public history, announcements). Paging visits every
published lot exactly once, in portal order, ties on the deadline included, and never a
draft. The pages themselves: the portal's `?page=` numbers, the lot page and the signed
opening record as the public gets them (the latter cached like the others).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bidding.portal import service as public
from bidhall.demo import register
from tests.conftest import construction_plan
from tests.support.clients import Client
from tests.trading.centers.conftest import award_all, open_all
from trading.announcements import service as announcement_service
from trading.audit import service as audit
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.present import yuan as money
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot
from trading.reports.service import lot_savings

HTML = {"Accept": "text/html"}


async def test_pages_visit_every_published_lot_once_in_portal_order(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    a = await publish_lot(title="甲工程")
    b = await publish_lot(title="乙工程")  # the same deadline as a: the tie goes by id
    clock.advance(timedelta(days=1))
    c = await publish_lot(title="丙工程")  # a later deadline: listed first
    await register(  # a draft is never listed
        rt, construction_plan(title="草稿工程"), issued=clock.now(), deadline=c.bid_deadline
    )
    assert a.bid_deadline == b.bid_deadline < c.bid_deadline

    async with rt.sessionmaker() as session:
        everything = await public.lot_list(session)
        assert [r.id for r in everything.rows] == [c.id, b.id, a.id]
        assert (everything.total, everything.pages) == (3, 1)
        # Pages of one row each (the smallest size the service takes is 20: use the statement).
        ordered = await session.execute(public.lots_statement(None, public.Filters()))
        assert [r.id for r in ordered] == [c.id, b.id, a.id]
        # A filter narrows the total too; a page past the end shows the last page.
        only_a = await public.lot_list(session, filters=public.Filters(q="甲"), page=9)
        assert ([r.id for r in only_a.rows], only_a.total, only_a.page) == ([a.id], 1, 1)


async def test_the_portal_pages_by_number(client: Client, publish_lot: Any) -> None:
    await publish_lot(title="第一个工程")
    await publish_lot(title="第二个工程")
    whole = await client.get("/", headers=HTML)
    assert "第一个工程" in whole.text and "第二个工程" in whole.text
    assert 'rel="next"' not in whole.text and "共 2 条" in whole.text  # two lots: one page
    beyond = await client.get("/?page=5", headers=HTML)
    assert beyond.status_code == 200 and "第一个工程" in beyond.text  # clamped to the last page


async def test_the_read_model_shows_what_the_orm_showed(
    client: Client, rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot(title="对照工程")
    await bid(lot)
    await open_all(rt, clock, [lot])
    await award_all(rt, clock, [(lot, "450100")])

    async with rt.sessionmaker() as session:
        orm = await session.get(Lot, lot.id)
        assert orm is not None and orm.state == LotState.AWARDED
        row = await public.lot_view(session, lot.id)
        assert row is not None
        expected = lot_savings(orm)
        assert expected is not None and public.award_savings(row) == expected
        history = [
            (e.at, e.action, e.seq)
            for e in await audit.for_target(session, "lot", lot.id)
            if e.action in public.LOT_HISTORY_ACTIONS
        ]
        assert [tuple(r) for r in await public.lot_history(session, lot.id)] == history
        assert {"lot.publish", "lot.award"} <= {action for _at, action, _seq in history}
        notices = [
            (n.published_at, n.kind, n.title, n.body)
            for n in await announcement_service.announcements_for(session, orm.project_id)
            if n.lot_id in (None, lot.id)
        ]
        rows = await public.lot_announcements(session, orm.project_id, lot.id)
        assert [tuple(r)[:4] for r in rows] == notices and len(notices) >= 2

    page = await client.get(f"/lots/{lot.id}", headers=HTML)
    assert page.status_code == 200
    assert "对照工程" in page.text and "state-awarded" in page.text
    assert f"<dd>{money(expected[0])}</dd>" in page.text and f"<dd>{expected[1]}%</dd>" in page.text
    assert all(f'<td class="mono">{seq}</td>' in page.text for _at, _a, seq in history)

    record = await client.get(f"/lots/{lot.id}/opening", headers=HTML)
    assert record.status_code == 200
    assert "对照工程" in record.text and 'data-zone="Asia/Shanghai"' in record.text
    # The platform's signature, and one row per bid in the price table (three bids).
    assert "ed25519:" in record.text
    prices = record.text.split('id="opening-rows"')[1].split("</table>")[0]
    assert prices.count("<tr><td>") == 3
    again = await client.get(f"/lots/{lot.id}/opening", headers=HTML)
    assert again.headers.get("x-cache") == "hit" and again.text == record.text


async def test_a_lot_without_a_record_has_no_record_page(client: Client, publish_lot: Any) -> None:
    lot = await publish_lot()
    for _ in range(2):
        r = await client.get(f"/lots/{lot.id}/opening", headers=HTML)
        assert r.status_code == 404 and "开标记录尚未公布" in r.text
    assert len(client.app.state.public_cache) == 0
