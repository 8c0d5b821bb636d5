"""The lot desk's opening tab: custodians' readiness before the deadline (no bidder named),
each custodian and bidder at the opening (never a price), the one start entry point, and
reminders that reach custodians and bidders at most once per person every 5 minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.opening.models import Reminder
from bidding.participation.models import Notice
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client, bearer, settled
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}
PRICE_TEXTS = ("9100000", "9,100,000", "8950000", "8,950,000")


async def signed_in(client: Client, username: str, path: str) -> str:
    client.cookies.clear()
    await web_login(client, username)
    r = await client.get(path, headers=HTML)
    assert r.status_code == 200, r.text[-2000:]
    return csrf_of(r.text)


async def reminder_counts(rt: Runtime) -> tuple[int, int, int]:
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(Reminder.id))) or 0,
            await session.scalar(select(func.count(Notice.id)).where(Notice.kind == "reminder"))
            or 0,
            await session.scalar(
                select(func.count(AuditEntry.seq)).where(AuditEntry.action == "opening.remind")
            )
            or 0,
        )


async def custodian_names(rt: Runtime, ids: list[int]) -> list[str]:
    async with rt.sessionmaker() as session:
        return [u.display_name for u in await session.scalars(select(User).where(User.id.in_(ids)))]


async def test_before_the_deadline_custodians_only_and_no_early_start(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot(title="开标标签页测试工程")
    clock.advance(timedelta(days=1))
    await bid(lot)
    path = f"/center/lots/{lot.id}/opening"
    csrf = await signed_in(client, "staff-450100", path)
    page = (await client.get(path, headers=HTML)).text
    assert lot.custody is not None
    for name in await custodian_names(rt, lot.custody["custodians"]):
        assert name in page
    assert "已登记密钥" in page and 'id="countdown"' in page and "20天" in page
    assert 'id="bidders-hidden"' in page and "南宁建工" not in page  # who bid is secret
    assert 'id="start-form"' in page and "disabled" in page
    early = await client.post(f"{path}/start", data={"_csrf": csrf}, headers=HTML)
    assert early.status_code == 409 and "opening before the bid deadline is refused" in early.text
    async with rt.sessionmaker() as session:
        from trading.projects.models import Lot

        fresh = await session.get(Lot, lot.id)
        assert fresh is not None and fresh.state == LotState.ANNOUNCED


async def test_at_the_deadline_staff_start_and_see_each_bidder_without_prices(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    path = f"/center/lots/{lot.id}/opening"
    csrf = await signed_in(client, "staff-450100", path)
    started = await client.post(
        f"{path}/start", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert started.status_code == 303 and started.headers["location"].endswith("done=started")
    assert await settled(client, rt, lot.id) == LotState.OPENING  # waiting for key shares
    page = (await client.get(path, headers=HTML)).text
    assert page.count('data-org-id="') == 3
    assert "南宁建工集团有限责任公司" in page
    assert page.count('status-no">待解密（未提交文件密钥）') == 3
    assert "0 / 2" in page and f'href="/lots/{lot.id}/hall"' in page
    assert not any(p in page for p in PRICE_TEXTS)
    status = await client.get(f"/api/v1/lots/{lot.id}/opening/desk")
    assert status.status_code == 200
    body = status.json()
    assert [b["status"] for b in body["bidders"]] == ["active"] * 3
    assert not any(p in status.text for p in PRICE_TEXTS) and "price" not in status.text


async def test_reminders_reach_those_who_have_not_acted_once_per_5_minutes(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    path = f"/center/lots/{lot.id}/opening"
    csrf = await signed_in(client, "staff-450100", path)
    await client.post(f"{path}/start", data={"_csrf": csrf}, headers=HTML)
    assert await settled(client, rt, lot.id) == LotState.OPENING

    first = await client.post(
        f"{path}/remind", data={"_csrf": csrf}, headers=HTML, follow_redirects=False
    )
    assert first.status_code == 303 and first.headers["location"].endswith("n=6")
    assert await reminder_counts(rt) == (6, 3, 1)  # 3 custodians + 3 bidders; 1 audit entry

    clock.advance(timedelta(minutes=4, seconds=59))
    again = await client.post(f"{path}/remind", data={"_csrf": csrf}, headers=HTML)
    assert again.status_code == 429 and "already reminded within 5 minutes" in again.text
    api = await client.post(
        f"/api/v1/lots/{lot.id}/opening/reminders", headers={"x-csrf-token": csrf}
    )
    assert api.status_code == 429
    assert await reminder_counts(rt) == (6, 3, 1)

    clock.advance(timedelta(seconds=1))
    api = await client.post(
        f"/api/v1/lots/{lot.id}/opening/reminders", headers={"x-csrf-token": csrf}
    )
    assert api.status_code == 201, api.text
    assert len(api.json()["custodians"]) == 3 and len(api.json()["bidders"]) == 3
    assert await reminder_counts(rt) == (12, 6, 2)

    # The custodian sees it in its workspace; the bidder as a notice.
    assert lot.custody is not None
    async with rt.sessionmaker() as session:
        custodian = await session.get(User, lot.custody["custodians"][0])
        assert custodian is not None
    client.cookies.clear()
    await web_login(client, custodian.username)
    home = await client.get("/custodian", headers=HTML)
    assert 'id="reminders"' in home.text and "请按时释放开标密钥分片" in home.text
    client.cookies.clear()
    notices = await client.get("/api/v1/me/notices", headers=await bearer(client, "bidder-1"))
    assert [n["kind"] for n in notices.json()].count("reminder") == 2


async def test_who_may_see_and_act_on_the_opening_tab(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    clock.set(lot.bid_deadline - timedelta(hours=1))
    path = f"/center/lots/{lot.id}/opening"
    csrf = await signed_in(client, "supervisor-450000", path)
    page = (await client.get(path, headers=HTML)).text
    assert 'id="readonly"' in page and 'id="remind-form"' not in page
    for action in ("start", "remind"):
        r = await client.post(f"{path}/{action}", data={"_csrf": csrf}, headers=HTML)
        assert r.status_code == 403
    assert (await client.get(f"/api/v1/lots/{lot.id}/opening/desk")).status_code == 200
    for outsider in ("staff-450200", "bidder-1", "custodian-450100-1"):
        csrf = await signed_in(client, outsider, "/")
        assert (await client.get(path, headers=HTML)).status_code == 403, outsider
        r = await client.post(f"{path}/remind", data={"_csrf": csrf}, headers=HTML)
        assert r.status_code == 403, outsider
        desk = await client.get(f"/api/v1/lots/{lot.id}/opening/desk")
        assert desk.status_code == 403, outsider
    csrf = await signed_in(client, "staff-450100", path)
    forged = await client.post(f"{path}/remind", data={"_csrf": "forged"}, headers=HTML)
    assert forged.status_code == 403
    assert await reminder_counts(rt) == (0, 0, 0)
    # Before the deadline a reminder reaches the custodians only (who bid is secret).
    ok = await client.post(f"{path}/remind", data={"_csrf": csrf}, headers=HTML)
    assert ok.status_code == 200 and "提醒已发送" in ok.text
    assert await reminder_counts(rt) == (3, 0, 1)
