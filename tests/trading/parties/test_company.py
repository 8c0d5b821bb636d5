"""Several users per company: the administrator invites (single-use, expiring codes) and
removes users; a removed user loses the company's rights, sessions and tokens at once; every
action names the user and the company in the audit log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bidhall.demo import DEMO_PASSWORD, demo_uscc
from tests.support.clients import Client, bearer
from tests.trading.parties.accounts_support import PASSWORD, sign_up, token
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.parties.company import INVITATION_DAYS


async def invite(
    client: Client | httpx.AsyncClient, headers: dict[str, str], note: str = ""
) -> dict[str, Any]:
    r = await client.post("/api/v1/me/company/invitations", json={"note": note}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_demo_bidders_administer_their_companies(client: Client) -> None:
    admin = await bearer(client, "bidder-1")
    company = (await client.get("/api/v1/me/company", headers=admin)).json()
    assert company["admin"] is True and company["uscc"] == demo_uscc(2)
    assert [m["username"] for m in company["members"]] == ["bidder-1"]


async def test_invitation_is_single_use(rt: Runtime, client: Client, publish_lot: Any) -> None:
    admin = await bearer(client, "bidder-1")
    made = await invite(client, admin, "张三")
    assert made["link"] == f"/signup?invite={made['code']}"
    joined = await sign_up(client, "zhangsan", invitation=made["code"])
    assert joined["roles"] == ["bidder"] and joined["org_id"] is not None
    # The same code a second time: refused, and nothing is created.
    r = await client.post(
        "/api/v1/auth/signup",
        json={"username": "lisi", "password": PASSWORD, "invitation": made["code"]},
    )
    assert r.status_code == 422 and "invitation" in r.json()["detail"]
    assert (
        await client.post("/api/v1/auth/token", json={"username": "lisi", "password": PASSWORD})
    ).status_code == 401
    # The new user acts for the company: registers for a lot, sees the company, cannot manage it.
    lot = await publish_lot(enrol=())
    member = await token(client, "zhangsan")
    r = await client.post(f"/api/v1/lots/{lot.id}/registration", headers=member)
    assert r.status_code == 200, r.text
    company = (await client.get("/api/v1/me/company", headers=member)).json()
    assert company["admin"] is False and {m["username"] for m in company["members"]} == {
        "bidder-1",
        "zhangsan",
    }
    r = await client.post("/api/v1/me/company/invitations", json={}, headers=member)
    assert r.status_code == 403
    r = await client.delete(
        f"/api/v1/me/company/members/{company['members'][0]['user_id']}", headers=member
    )
    assert r.status_code == 403


async def test_invitation_expires(client: Client, clock: FixedClock) -> None:
    admin = await bearer(client, "bidder-2")
    made = await invite(client, admin)
    revoked = await invite(client, admin)
    r = await client.post(f"/api/v1/me/company/invitations/{revoked['id']}/revoke", headers=admin)
    assert r.status_code == 204
    clock.advance(timedelta(days=INVITATION_DAYS, seconds=1))
    for code in (made["code"], revoked["code"]):
        r = await client.post(
            "/api/v1/auth/signup",
            json={"username": "late", "password": PASSWORD, "invitation": code},
        )
        assert r.status_code == 422 and "invitation" in r.json()["detail"], r.text
    # Just before expiry a fresh one works (the clock is the only difference).
    fresh = await invite(client, await bearer(client, "bidder-2"))
    clock.advance(timedelta(days=INVITATION_DAYS, seconds=-1))
    assert (await sign_up(client, "intime", invitation=fresh["code"]))["roles"] == ["bidder"]


async def test_removed_user_is_refused_at_once(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    admin = await bearer(client, "bidder-1")
    made = await invite(client, admin)
    joined = await sign_up(client, "leaver", invitation=made["code"])
    member = await token(client, "leaver")
    lot = await publish_lot(enrol=())
    # A web session too: the member signs in to the site.
    web = await client.post(
        "/login", data={"username": "leaver", "password": PASSWORD}, follow_redirects=False
    )
    assert web.status_code == 303
    assert (await client.get("/bidder", headers={"accept": "text/html"})).status_code == 200
    r = await client.delete(f"/api/v1/me/company/members/{joined['user_id']}", headers=admin)
    assert r.status_code == 204, r.text
    # The API token and the web session are gone: the next request is anonymous.
    assert (
        await client.post(f"/api/v1/lots/{lot.id}/registration", headers=member)
    ).status_code == 401
    page = await client.get("/bidder", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # Signing in again gives a person without a company and without bidder rights.
    again = await token(client, "leaver")
    assert (
        await client.post(f"/api/v1/lots/{lot.id}/registration", headers=again)
    ).status_code == 403
    assert (await client.get("/api/v1/me/company", headers=again)).status_code == 403
    # Removing twice, or someone of another company, or oneself: refused.
    r = await client.delete(f"/api/v1/me/company/members/{joined['user_id']}", headers=admin)
    assert r.status_code == 404
    other = (
        await client.get("/api/v1/me/company", headers=await bearer(client, "bidder-2"))
    ).json()
    r = await client.delete(
        f"/api/v1/me/company/members/{other['members'][0]['user_id']}", headers=admin
    )
    assert r.status_code == 404
    mine = (await client.get("/api/v1/me/company", headers=admin)).json()
    r = await client.delete(
        f"/api/v1/me/company/members/{mine['members'][0]['user_id']}", headers=admin
    )
    assert r.status_code == 409
    async with rt.sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action.in_(
                        ("party.invite", "party.member_join", "party.member_remove")
                    )
                )
                .order_by(AuditEntry.seq)
            )
        )
    assert [(e.action, e.actor) for e in entries] == [
        ("party.invite", "bidder-1"),
        ("party.member_join", "leaver"),
        ("party.member_remove", "bidder-1"),
    ]
    for e in entries:
        detail = json.loads(e.body)["detail"]
        assert detail["uscc"] == demo_uscc(2) and detail["org_id"]
        assert e.actor_id is not None


async def test_company_page_forms(client: Client) -> None:
    """The page's forms: CSRF required, the link shown once, removal by the administrator."""
    r = await client.post(
        "/login", data={"username": "bidder-3", "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303
    html = {"accept": "text/html"}
    page = await client.get("/bidder/company", headers=html)
    assert page.status_code == 200 and 'id="invite-form"' in page.text
    csrf = page.text.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    r = await client.post("/bidder/company/invitations", data={"note": "x"}, headers=html)
    assert r.status_code == 403  # no CSRF token
    r = await client.post(
        "/bidder/company/invitations", data={"note": "王五", "_csrf": csrf}, headers=html
    )
    assert r.status_code == 200 and 'id="invite-url"' in r.text
    link = r.text.split('id="invite-url">', 1)[1].split("<", 1)[0]
    code = link.split("invite=", 1)[1]
    assert (await client.get("/bidder/company", headers=html)).text.count(code) == 0
    await client.post("/logout", data={"_csrf": csrf})
    signup = await client.get(f"/signup?invite={code}", headers=html)
    assert 'id="invited"' in signup.text


@pytest.fixture
async def http(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as c:
        yield c


async def test_two_people_racing_with_one_invitation_one_joins(
    rt: Runtime, http: httpx.AsyncClient
) -> None:
    made = await invite(http, await bearer(http, "bidder-4"))
    bodies = [
        {"username": f"racer-{i}", "password": PASSWORD, "invitation": made["code"]}
        for i in range(2)
    ]
    answers = await asyncio.gather(*(http.post("/api/v1/auth/signup", json=b) for b in bodies))
    assert sorted(r.status_code for r in answers) == [201, 422], [r.text for r in answers]
    async with rt.sessionmaker() as session:
        names = set(
            await session.scalars(select(User.username).where(User.username.like("racer-%")))
        )
    assert len(names) == 1  # the loser's account rolled back with its refused invitation
