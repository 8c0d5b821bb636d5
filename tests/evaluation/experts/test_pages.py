"""The expert pool page (table, search, paging, CSV import with its error table, export link,
draw policy) and the lot desk's committee tab (the draw with the lawful size and its rule, the
commitment, the members, a decline that seats the replacement) through the page forms, with the
CSRF token; who acts (the center's staff), who reads (supervisors above), who is refused."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from evaluation.experts.models import Committee, CommitteeMember, Expert, PoolPolicy
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.evaluation.experts.test_pool_and_committee import pool_csv
from tests.support.clients import Client
from trading.audit.models import AuditEntry
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

HTML = {"Accept": "text/html"}


async def count(rt: Runtime, model: type) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def signed_in(client: Client, username: str, path: str) -> str:
    client.cookies.clear()
    await web_login(client, username)
    r = await client.get(path, headers=HTML)
    assert r.status_code == 200, r.text[-2000:]
    return csrf_of(r.text)


def rows_of(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[ >].*?</tr>", body, flags=re.S)[1:]  # the header row skipped


async def test_pool_page_imports_all_or_nothing_and_lists_searches_pages(
    rt: Runtime, client: Client
) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/experts")
    bad = pool_csv(3).replace("E0002,", "e2,").replace(",450100,单位3", ",4501,单位3")
    r = await client.post(
        "/center/experts/import",
        data={"_csrf": csrf},
        files={"file": ("experts.csv", bad.encode(), "text/csv")},
        headers=HTML,
    )
    assert r.status_code == 422
    errors = rows_of(r.text, "import-errors")
    assert len(errors) == 2 and ">3<" in errors[0] and "code" in errors[0]
    assert ">4<" in errors[1] and "region" in errors[1] and "6位行政区划代码" in errors[1]
    assert await count(rt, Expert) == 0

    # Without the CSRF token: refused, nothing written.
    r = await client.post("/center/experts/import", data={"text": pool_csv(3)}, headers=HTML)
    assert r.status_code == 403 and await count(rt, Expert) == 0
    # Nothing chosen: the form says so.
    r = await client.post("/center/experts/import", data={"_csrf": csrf, "text": " "}, headers=HTML)
    assert r.status_code == 422 and 'id="import-error"' in r.text

    # Pasted text, 60 experts: imported, listed 50 a page with the total.
    r = await client.post(
        "/center/experts/import",
        data={"_csrf": csrf, "text": pool_csv(60)},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-1500:]
    page = (await client.get(r.headers["location"], headers=HTML)).text
    assert 'id="done"' in page and "新增 60 名" in page
    assert "共 60 名专家" in page and len(rows_of(page, "experts")) == 50
    assert 'href="/api/v1/centers/450100/experts/export.csv"' in page
    second = (await client.get("/center/experts?page=2", headers=HTML)).text
    assert len(rows_of(second, "experts")) == 10 and "E0060" in second and "E0001" not in second
    found = (await client.get("/center/experts?q=B02", headers=HTML)).text
    assert "共 30 名专家" in found  # the odd ones hold B02
    found = (await client.get("/center/experts?q=e0007", headers=HTML)).text
    assert "共 1 名专家" in found and "专家7<" in found
    found = (await client.get("/center/experts?q=专家5", headers=HTML)).text
    assert "共 11 名专家" in found  # 专家5 and 专家50 to 专家59
    export = await client.get("/api/v1/centers/450100/experts/export.csv")
    assert export.status_code == 200 and export.text == pool_csv(60)


async def test_pool_page_who_reads_who_acts(rt: Runtime, client: Client) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/experts")
    r = await client.post(
        "/center/experts/import",
        data={"_csrf": csrf, "text": pool_csv(3)},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    # The province's supervisor reads the city's pool, without forms; it may not import.
    csrf = await signed_in(client, "supervisor-450000", "/center/experts?center=450100")
    page = (await client.get("/center/experts?center=450100", headers=HTML)).text
    assert 'id="readonly"' in page and "E0001" in page
    assert 'id="import-form"' not in page and "export.csv" not in page
    r = await client.post(
        "/center/experts/import", data={"_csrf": csrf, "text": pool_csv(5)}, headers=HTML
    )
    assert r.status_code == 403
    r = await client.post(
        "/center/experts/policy", data={"_csrf": csrf, "recent_days": "9"}, headers=HTML
    )
    assert r.status_code == 403
    assert await count(rt, Expert) == 3 and await count(rt, PoolPolicy) == 0
    # Liuzhou's staff may not read Nanning's pool; a bidder has no pool page.
    await signed_in(client, "staff-450200", "/center/experts")
    r = await client.get("/center/experts?center=450100", headers=HTML)
    assert r.status_code == 403 and "E0001" not in r.text
    client.cookies.clear()
    await web_login(client, "bidder-1")
    assert (await client.get("/center/experts", headers=HTML)).status_code == 403
    client.cookies.clear()
    r = await client.get("/center/experts", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_policy_form_saves_audits_and_refuses_bad_input(rt: Runtime, client: Client) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/experts")
    page = (await client.get("/center/experts", headers=HTML)).text
    assert 'id="policy-form"' in page and 'id="reach-parent"' in page
    english = (await client.get("/center/experts?lang=en", headers=HTML)).text
    assert "Expert pool" in english and "Draw policy" in english and "experts." not in english
    r = await client.post(
        "/center/experts/policy", data={"_csrf": csrf, "recent_days": "abc"}, headers=HTML
    )
    assert r.status_code == 422 and 'id="policy-error"' in r.text
    r = await client.post(
        "/center/experts/policy", data={"_csrf": csrf, "recent_days": "99999"}, headers=HTML
    )
    assert r.status_code == 422 and await count(rt, PoolPolicy) == 0
    r = await client.post("/center/experts/policy", data={"recent_days": "30"}, headers=HTML)
    assert r.status_code == 403 and await count(rt, PoolPolicy) == 0
    r = await client.post(
        "/center/experts/policy",
        data={"_csrf": csrf, "reach_parent": "on", "recent_days": "30"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = (await client.get(r.headers["location"], headers=HTML)).text
    assert 'id="policy-done"' in page and 'value="30"' in page
    assert re.search(r'id="reach-parent"\s+checked', page)
    async with rt.sessionmaker() as session:
        policy = await session.scalar(select(PoolPolicy))
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "experts.policy")
        )
    assert policy is not None and policy.reach_parent and policy.recent_days == 30
    assert entry is not None and entry.target_id == "450100"
    # The province has no parent to reach.
    csrf = await signed_in(client, "staff-450000", "/center/experts")
    r = await client.post(
        "/center/experts/policy",
        data={"_csrf": csrf, "reach_parent": "on", "recent_days": "0"},
        headers=HTML,
    )
    assert r.status_code == 422 and await count(rt, PoolPolicy) == 1


async def test_committee_tab_draws_shows_the_commitment_and_replaces_a_decline(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot: Lot = await publish_lot()
    path = f"/center/lots/{lot.id}/committee"
    csrf = await signed_in(client, "staff-450100", "/center/experts")
    r = await client.post(
        "/center/experts/import",
        data={"_csrf": csrf, "text": pool_csv(12)},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = (await client.get(path, headers=HTML)).text
    assert 'aria-current="page"' in page and "desk.tab" not in page
    assert "招标投标法 第37条" in page and "不少于 5 人" in page
    assert 'id="draw-form"' in page and 'id="available"' in page

    # A composition the ruleset refuses: the message with its citation, rows kept, no write.
    r = await client.post(
        path,
        data={"_csrf": csrf, "specialty": ["a01", ""], "count": ["3", ""], "representatives": "2"},
        headers=HTML,
    )
    assert r.status_code == 422 and "三分之二" in r.text and "第37条" in r.text
    assert 'value="A01"' in r.text and 'id="representatives" value="2"' in r.text
    # Too few of a specialty: a conflict, no write.
    r = await client.post(
        path, data={"_csrf": csrf, "specialty": "B02", "count": "7"}, headers=HTML
    )
    assert r.status_code == 409 and "B02" in r.text and 'id="error"' in r.text
    r = await client.post(path, data={"specialty": "A01", "count": "5"}, headers=HTML)
    assert r.status_code == 403
    assert await count(rt, Committee) == 0

    r = await client.post(
        path,
        data={"_csrf": csrf, "specialty": ["B02", "A01"], "count": ["2", "3"]},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-1500:]
    page = (await client.get(r.headers["location"], headers=HTML)).text
    async with rt.sessionmaker() as session:
        committee = await session.scalar(select(Committee).where(Committee.lot_id == lot.id))
    assert committee is not None
    assert committee.seed_sha256 in page and committee.pool_digest in page
    assert committee.seed not in page  # the seed waits for the award
    members = rows_of(page, "members")
    assert len(members) == 5 and all("专家" in m for m in members)
    first = re.search(r'data-code="([^"]+)"', members[0])
    assert first is not None
    code = first.group(1)

    # A decline needs a reason; with one, the member stays listed as declined and the next
    # ticket of that specialty is seated.
    r = await client.post(
        f"{path}/declines", data={"_csrf": csrf, "code": code, "reason": " "}, headers=HTML
    )
    assert r.status_code == 422 and 'id="decline-error"' in r.text
    assert await count(rt, CommitteeMember) == 5
    r = await client.post(
        f"{path}/declines",
        data={"_csrf": csrf, "code": code, "reason": "与投标人存在利害关系"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = (await client.get(r.headers["location"], headers=HTML)).text
    members = rows_of(page, "members")
    assert len(members) == 6 and "与投标人存在利害关系" in page
    assert sum('class="seated"' in m for m in members) == 5
    assert 'id="done"' in page
    english = (await client.get(f"{path}?lang=en", headers=HTML)).text
    assert "Seed commitment" in english and "committee." not in english

    # The city's supervisor reads the commitment, not the names; a bidder is refused.
    await signed_in(client, "supervisor-450100", path)
    page = (await client.get(path, headers=HTML)).text
    assert committee.seed_sha256 in page and 'id="readonly"' in page
    assert 'id="members"' not in page and not re.search(r"专家\d", page)
    r = await client.post(
        f"{path}/declines",
        data={"_csrf": csrf_of(page), "code": code, "reason": "监督人员"},
        headers=HTML,
    )
    assert r.status_code == 403
    client.cookies.clear()
    await web_login(client, "bidder-1")
    assert (await client.get(path, headers=HTML)).status_code == 403
