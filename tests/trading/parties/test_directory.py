"""The organization directory: search by name or USCC, paged with a total, LIKE wildcards taken
literally; GET /api/v1/organizations and the /center/orgs page."""

from __future__ import annotations

from sqlalchemy import func, select

from bidhall.demo import demo_uscc
from tests.support.clients import Client, bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties import service as parties
from trading.parties.models import Organization

HTML = {"Accept": "text/html"}


async def add_orgs(rt: Runtime, clock: FixedClock, *names: str) -> None:
    async with rt.sessionmaker() as session, session.begin():
        for i, name in enumerate(names):
            uscc = f"91450100XX{i:07d}" + "X"
            session.add(Organization(name=name, uscc=uscc, created_at=clock.now()))


async def test_search_by_name_or_uscc_prefix(rt: Runtime, client: Client) -> None:
    headers = await bearer(client, "staff-450100")
    r = await client.get("/api/v1/organizations", params={"q": "柳州"}, headers=headers)
    assert r.status_code == 200, r.text
    names = [o["name"] for o in r.json()["items"]]
    assert names and all("柳州" in n for n in names)
    assert r.json()["total"] == len(names)
    # A whole USCC names one organization; lower case is read as upper.
    code = demo_uscc(1)
    r = await client.get("/api/v1/organizations", params={"q": code.lower()}, headers=headers)
    assert [o["uscc"] for o in r.json()["items"]] == [code]
    # A USCC prefix finds every organization whose code starts with it.
    r = await client.get("/api/v1/organizations", params={"q": code[:10]}, headers=headers)
    async with rt.sessionmaker() as session:
        expected = await session.scalar(
            select(func.count(Organization.id)).where(Organization.uscc.startswith(code[:10]))
        )
    assert r.json()["total"] == expected and expected > 1


async def test_wildcards_match_only_themselves(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    await add_orgs(rt, clock, "百分百%建设有限公司", "下划线_工程公司", "反斜杠\\公司")
    headers = await bearer(client, "staff-450100")

    async def names(q: str) -> list[str]:
        r = await client.get("/api/v1/organizations", params={"q": q}, headers=headers)
        assert r.status_code == 200, r.text
        return [o["name"] for o in r.json()["items"]]

    assert await names("%") == ["百分百%建设有限公司"]
    assert await names("_") == ["下划线_工程公司"]
    assert await names("\\") == ["反斜杠\\公司"]
    assert await names("百%建") == ["百分百%建设有限公司"]
    assert await names("百_") == []  # `_` is not "any one character"


async def test_paged_with_a_total_and_no_silent_cap(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    await add_orgs(rt, clock, *[f"分页测试单位{i:03d}" for i in range(120)])
    async with rt.sessionmaker() as session:
        found = await parties.search_organizations(session, "分页测试", limit=50, offset=100)
    assert found.total == 120
    assert [o.name for o in found.rows] == [f"分页测试单位{i:03d}" for i in range(100, 120)]
    headers = await bearer(client, "supervisor-450100")
    r = await client.get(
        "/api/v1/organizations", params={"q": "分页测试", "limit": 200}, headers=headers
    )
    assert r.json()["total"] == 120 and len(r.json()["items"]) == 120


async def test_who_may_read_the_directory(client: Client) -> None:
    assert (await client.get("/api/v1/organizations")).status_code == 401
    bidder = await bearer(client, "bidder-1")
    assert (await client.get("/api/v1/organizations", headers=bidder)).status_code == 403
    for who in ("staff-450200", "supervisor-450000", "tenderer-1"):
        r = await client.get("/api/v1/organizations", headers=await bearer(client, who))
        assert r.status_code == 200, who


async def test_directory_page_searches_and_pages(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    from tests.bidding.hall.conftest import web_login

    await add_orgs(rt, clock, *[f"页面分页单位{i:03d}" for i in range(60)])
    await web_login(client, "staff-450100")
    r = await client.get("/center/orgs", params={"q": "页面分页"}, headers=HTML)
    assert r.status_code == 200, r.text
    assert "共 60 个单位" in r.text and "第 1 / 2 页" in r.text
    assert r.text.count("data-org-id=") == 50
    r = await client.get("/center/orgs", params={"q": "页面分页", "page": 2}, headers=HTML)
    assert r.text.count("data-org-id=") == 10 and "页面分页单位059" in r.text
    r = await client.get("/center/orgs", params={"q": "%"}, headers=HTML)
    assert "共 0 个单位" in r.text
    client.cookies.clear()
    await web_login(client, "bidder-1")
    assert (await client.get("/center/orgs", headers=HTML)).status_code == 403
