"""The center workspace pages: the dashboard, the lot list, the lot desk's overview and actions,
the project form with the rules' citations next to the fields. Staff act for their own center,
supervisors read, everyone else is refused; a refused form writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from bidding.hall.models import OpeningResponse, ResponseKind
from bidding.participation.models import Question
from bidhall.demo import demo_uscc
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects.models import Lot, Project

HTML = {"Accept": "text/html"}


async def signed_in(client: Client, username: str, path: str = "/center") -> str:
    client.cookies.clear()
    await web_login(client, username)
    r = await client.get(path, headers=HTML, follow_redirects=False)
    assert r.status_code == 200, r.text[-2000:]
    return csrf_of(r.text)


async def written(rt: Runtime) -> tuple[int, int, int]:
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(Project.id))) or 0,
            await session.scalar(select(func.count(Lot.id))) or 0,
            await session.scalar(
                select(func.count(AuditEntry.seq)).where(AuditEntry.action != "request.refused")
            )
            or 0,
        )


def form(csrf: str, **changes: str) -> dict[str, str]:
    base = {
        "_csrf": csrf,
        "lot_count": "1",
        "title": "工作台登记测试工程",
        "category": "construction",
        "method": "open_tender",
        "tenderer_uscc": demo_uscc(1),
        "location": "南宁市良庆区",
        "qualification": "市政公用工程施工总承包二级",
        "contact_name": "王工",
        "contact_phone": "0771-5550000",
        "lots-0-lot_title": "第1标段",
        "lots-0-budget": "9,800,000.00",
        "lots-0-control_price": "9500000.00",
        "lots-0-price_basis": "control_price",
        "lots-0-bid_security": "95000",
        # T0 is 2026-03-02 09:00 in Shanghai; the form takes the center's wall clock.
        "lots-0-docs_issued_at": "2026-03-02T10:00",
        "lots-0-bid_deadline": "2026-03-24T10:00",
        "lots-0-evaluation_method": "low_price",
        "lots-0-evaluation_params": "{}",
        "action": "save",
    }
    return base | changes


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="error field-error" data-field="{field}">(.*?)</p>', html, re.S)


async def test_wrong_date_shows_the_citation_and_writes_nothing_then_saves(
    rt: Runtime, client: Client
) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/projects/new")
    before = await written(rt)
    r = await client.post(
        "/center/projects/new",
        data=form(csrf, **{"lots-0-bid_deadline": "2026-03-12T10:00"}),
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 422, r.text[-1500:]
    errors = field_errors(r.text, "lots-0-bid_deadline")
    assert errors and "招标投标法 第24条" in errors[0], errors
    assert await written(rt) == before
    # The typed values come back (nothing lost), the amount as typed.
    assert 'value="9,800,000.00"' in r.text and "南宁市良庆区" in r.text
    # "Check" alone never writes either, and says the fixed plan is lawful.
    r = await client.post(
        "/center/projects/new",
        data=form(csrf, action="check"),
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 200 and 'id="check-ok"' in r.text
    assert await written(rt) == before
    r = await client.post(
        "/center/projects/new", data=form(csrf), headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303, r.text[-1500:]
    lot_url = r.headers["location"].split("?")[0]
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, int(lot_url.rsplit("/", 1)[1]))
        assert lot is not None and lot.state == LotState.DRAFT
        assert lot.budget == Decimal("9800000.00")
        project = await session.get(Project, lot.project_id)
        assert project is not None
        assert (project.location, project.contact_name) == ("南宁市良庆区", "王工")
    page = await client.get(lot_url, headers=HTML, follow_redirects=False)
    assert page.status_code == 200 and 'id="lot-state"' in page.text
    assert 'id="publish"' in page.text and 'aria-current="page"' in page.text


async def test_form_errors_sit_next_to_their_fields(rt: Runtime, client: Client) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/projects/new")
    before = await written(rt)
    bad = form(
        csrf,
        title="",
        tenderer_uscc="91450100MA0000099X",
        **{"lots-0-budget": "12.345", "lots-0-docs_issued_at": "明天"},
    )
    r = await client.post("/center/projects/new", data=bad, headers=HTML, follow_redirects=False)
    assert r.status_code == 422
    assert field_errors(r.text, "title")
    assert field_errors(r.text, "lots-0-budget")
    assert field_errors(r.text, "lots-0-docs_issued_at")
    # A well-formed but unknown USCC is refused by the service, next to the field.
    r = await client.post(
        "/center/projects/new", data=form(csrf, tenderer_uscc="91450100MA0000099X"), headers=HTML
    )
    assert r.status_code == 422 and field_errors(r.text, "tenderer_uscc")
    assert await written(rt) == before
    # Without the CSRF token nothing is even read.
    r = await client.post(
        "/center/projects/new", data=form(""), headers=HTML, follow_redirects=False
    )
    assert r.status_code == 403
    assert await written(rt) == before


async def test_edit_page_shows_what_the_stored_draft_breaks(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/projects/new")
    r = await client.post(
        "/center/projects/new", data=form(csrf), headers=HTML, follow_redirects=False
    )
    lot_id = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        project_id = lot.project_id
    # Time passes: the deadline is now only 5 days away from the documents' issue... and past.
    clock.advance(timedelta(days=30))
    csrf = await signed_in(client, "staff-450100")  # the old web session ran out meanwhile
    r = await client.get(
        f"/center/projects/{project_id}/edit", headers=HTML, follow_redirects=False
    )
    assert r.status_code == 200
    assert field_errors(r.text, "lots-0-bid_deadline")
    assert "bidhall 平台规则" in " ".join(field_errors(r.text, "lots-0-bid_deadline"))
    desk = await client.get(f"/center/lots/{lot_id}", headers=HTML, follow_redirects=False)
    assert 'id="rule-check"' in desk.text and "投标截止时间必须晚于当前时间" in desk.text
    # The edit saves a fixed plan: a second lot added, the first's dates moved.
    fixed = form(
        csrf,
        lot_count="2",
        **{
            "lots-0-docs_issued_at": "2026-04-02T10:00",
            "lots-0-bid_deadline": "2026-04-24T10:00",
            "lots-1-lot_title": "第2标段",
            "lots-1-budget": "100000",
            "lots-1-docs_issued_at": "2026-04-02T10:00",
            "lots-1-bid_deadline": "2026-04-24T10:00",
        },
    )
    r = await client.post(
        f"/center/projects/{project_id}/edit", data=fixed, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303, r.text[-1500:]
    async with rt.sessionmaker() as session:
        lots = list(await session.scalars(select(Lot).where(Lot.project_id == project_id)))
        assert sorted(x.title for x in lots) == ["第1标段", "第2标段"]


async def test_dashboard_shows_today_lots_by_state_and_waits(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    today = await publish_lot(title="今日开标工程")
    waits = await publish_lot(title="待办工程")
    async with rt.sessionmaker() as session, session.begin():
        bidder = await session.scalar(select(User).where(User.username == "bidder-1"))
        org = await session.scalar(select(Organization).where(Organization.uscc == demo_uscc(2)))
        assert bidder is not None and org is not None
        session.add(
            Question(
                lot_id=waits.id, asker_org_id=org.id, text="工期能否顺延？", asked_at=clock.now()
            )
        )
        session.add(
            OpeningResponse(
                lot_id=waits.id,
                bidder_org_id=org.id,
                user_id=bidder.id,
                kind=ResponseKind.OBJECTION,
                text="唱标价格有误",
                created_at=clock.now(),
            )
        )
    # The morning of the deadline: the lot opens today.
    clock.set(today.bid_deadline - timedelta(hours=1))
    await signed_in(client, "staff-450100")
    r = await client.get("/center", headers=HTML, follow_redirects=False)
    assert r.status_code == 200
    today_section = r.text.split('id="today"')[1].split("</section>")[0]
    assert f'data-lot-id="{today.id}"' in today_section
    assert "已释放 0 / 共 3（需 2）" in today_section
    assert re.search(r'data-state="announced">.*?<b class="num">2</b>', r.text, re.S)
    assert "工期能否顺延" in r.text and "唱标价格有误" in r.text
    assert f'href="/center/lots/{waits.id}/questions"' in r.text
    # 20 minutes past the deadline and still announced: the opening never started.
    clock.set(today.bid_deadline + timedelta(minutes=20))
    r = await client.get("/center", headers=HTML, follow_redirects=False)
    stalled = r.text.split('id="stalled"')[1]
    assert f'data-lot-id="{today.id}"' in stalled and "仍未开标" in stalled
    # Candidates publicity ends 3 days (条例 54) after it started.
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lot)
            .where(Lot.id == waits.id)
            .values(state="publicity", state_changed_at=clock.now())
        )
    r = await client.get("/center", headers=HTML, follow_redirects=False)
    publicity = r.text.split('id="publicity"')[1].split("<h3")[0]
    assert f'data-lot-id="{waits.id}"' in publicity and "公示结束" in publicity


async def test_lot_list_pages_with_a_total(rt: Runtime, client: Client, clock: FixedClock) -> None:
    from tests.support.clients import bearer
    from tests.trading.projects.test_drafts import lot_body, project_body

    headers = await bearer(client, "staff-450100")
    now = clock.now()
    for _ in range(3):  # 3 × 50 lots
        body = project_body(now, lots=[lot_body(now, title=f"分页标段{i}") for i in range(50)])
        assert (
            await client.post("/api/v1/projects", json=body, headers=headers)
        ).status_code == 201
    await signed_in(client, "staff-450100")
    r = await client.get(
        "/center/lots", params={"state": "draft"}, headers=HTML, follow_redirects=False
    )
    assert "共 150 条" in r.text and "第 1 / 3 页" in r.text
    assert r.text.count("data-lot-id=") == 50
    seen = set(re.findall(r'data-lot-id="(\d+)"', r.text))
    for page in (2, 3):
        r = await client.get(
            "/center/lots",
            params={"state": "draft", "page": page},
            headers=HTML,
            follow_redirects=False,
        )
        ids = set(re.findall(r'data-lot-id="(\d+)"', r.text))
        assert len(ids) == 50 and not ids & seen
        seen |= ids
    assert len(seen) == 150


async def test_who_may_use_the_workspace(rt: Runtime, client: Client, publish_lot: Any) -> None:
    lot = await publish_lot(title="权限测试工程")
    client.cookies.clear()
    r = await client.get("/center", headers=HTML, follow_redirects=False)
    assert r.status_code in (401, 302, 303)  # anonymous: sign in first
    for who in ("bidder-1", "tenderer-1", "custodian-450100-1"):
        await signed_in_any(client, who)
        assert (await client.get("/center", headers=HTML)).status_code == 403, who
        assert (await client.get(f"/center/lots/{lot.id}", headers=HTML)).status_code == 403, who
    # Another center's staff: neither its lots nor its dashboard.
    await signed_in(client, "staff-450200")
    assert (await client.get(f"/center/lots/{lot.id}", headers=HTML)).status_code == 403
    assert (
        await client.get("/center", params={"center": "450100"}, headers=HTML)
    ).status_code == 403
    # The county's staff see only their own center, not the city above.
    await signed_in(client, "staff-450102")
    assert (await client.get(f"/center/lots/{lot.id}", headers=HTML)).status_code == 403
    # A province supervisor reads Nanning's desk, without actions, and cannot act.
    csrf = await signed_in(client, "supervisor-450000", "/center?center=450100")
    r = await client.get(f"/center/lots/{lot.id}", headers=HTML, follow_redirects=False)
    assert r.status_code == 200 and 'id="read-only"' in r.text and 'id="cancel"' not in r.text
    r = await client.post(
        f"/center/lots/{lot.id}/cancel",
        data={"_csrf": csrf, "reason": "监督不能终止"},
        headers=HTML,
    )
    assert r.status_code == 403
    assert (await client.get("/center/projects/new", headers=HTML)).status_code == 403
    # Liuzhou's staff: a city supervisor of Nanning may not pick Liuzhou.
    await signed_in(client, "supervisor-450100")
    assert (
        await client.get("/center", params={"center": "450200"}, headers=HTML)
    ).status_code == 403
    r = await client.get(
        "/center", params={"center": "450102"}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 200 and 'id="read-only"' in r.text
    async with rt.sessionmaker() as session:
        stored = await session.get(Lot, lot.id)
        assert stored is not None and stored.state == LotState.ANNOUNCED


async def signed_in_any(client: Client, username: str) -> None:
    client.cookies.clear()
    await web_login(client, username)


async def test_cancel_needs_a_reason_and_records_it(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(title="终止测试工程")
    csrf = await signed_in(client, "staff-450100", f"/center/lots/{lot.id}")
    r = await client.post(
        f"/center/lots/{lot.id}/cancel",
        data={"_csrf": csrf, "reason": " "},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 422 and field_errors(r.text, "reason")
    r = await client.post(
        f"/center/lots/{lot.id}/cancel",
        data={"_csrf": csrf, "reason": "项目资金未落实，终止招标"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = await client.get(r.headers["location"], headers=HTML, follow_redirects=False)
    assert "已终止" in page.text and "项目资金未落实" in page.text
    async with rt.sessionmaker() as session:
        stored = await session.get(Lot, lot.id)
        assert stored is not None and stored.state == LotState.CANCELLED


async def test_delete_draft_from_the_desk(rt: Runtime, client: Client) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/projects/new")
    before = await written(rt)
    r = await client.post(
        "/center/projects/new", data=form(csrf), headers=HTML, follow_redirects=False
    )
    lot_url = r.headers["location"].split("?")[0]
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, int(lot_url.rsplit("/", 1)[1]))
        assert lot is not None
        project_id = lot.project_id
    # Other centers' staff cannot delete it.
    other = await signed_in(client, "staff-450200")
    r = await client.post(
        f"/center/projects/{project_id}/delete",
        data={"_csrf": other},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code in (403, 404)
    csrf = await signed_in(client, "staff-450100")
    r = await client.post(
        f"/center/projects/{project_id}/delete",
        data={"_csrf": csrf},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "deleted=" in r.headers["location"]
    projects, lots, _audit = await written(rt)
    assert (projects, lots) == before[:2]
