"""Company claims: a sign-up's claim is pending until the chosen center's staff approve it; a
pending claim gives no bidder rights; a squatter's claim never blocks the real company; racing
approvals of one USCC let exactly one through; who may decide (wrong role, other center)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.support.clients import Client, bearer
from tests.trading.parties.accounts_support import (
    LICENCE,
    claim,
    sign_up,
    signed_up_claimant,
    token,
    uscc,
)
from trading.audit.models import AuditEntry
from trading.auth.service import create_user
from trading.centers.models import Center
from trading.enums import Role
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization, OrgClaim

NOT_WRITES = ("request.refused", "auth.login", "auth.token_issued")


async def counts(rt: Runtime) -> tuple[int, int, int]:
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(OrgClaim.id))) or 0,
            await session.scalar(select(func.count(Organization.id))) or 0,
            # Refusals and sign-ins are audited too; nothing else may be written.
            await session.scalar(
                select(func.count(AuditEntry.seq)).where(AuditEntry.action.not_in(NOT_WRITES))
            )
            or 0,
        )


async def test_sign_up_pending_then_approved_can_register(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    me, filed = await signed_up_claimant(client, "realboss", uscc(1))
    assert filed["state"] == "pending" and filed["org_id"] is None
    assert filed["licence_sha256"] == hashlib.sha256(LICENCE).hexdigest()
    assert rt.blobs.exists(filed["licence_sha256"])  # the licence kept by its digest
    # Pending: no bidder rights anywhere.
    r = await client.post(f"/api/v1/lots/{lot.id}/registration", headers=me)
    assert r.status_code == 403, r.text
    assert (await client.get("/api/v1/me/company", headers=me)).status_code == 403
    staff = await bearer(client, "staff-450100")
    pending = (await client.get("/api/v1/claims", headers=staff)).json()
    assert [c["id"] for c in pending] == [filed["id"]]
    licence = await client.get(f"/api/v1/claims/{filed['id']}/licence", headers=staff)
    assert licence.status_code == 200 and licence.content == LICENCE
    assert licence.headers["x-content-sha256"] == filed["licence_sha256"]
    r = await client.post(f"/api/v1/claims/{filed['id']}/approve", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["org_id"]
    # The same token now carries the company's rights (the actor is read per request).
    r = await client.post(f"/api/v1/lots/{lot.id}/registration", headers=me)
    assert r.status_code == 200, r.text
    company = (await client.get("/api/v1/me/company", headers=me)).json()
    assert company["uscc"] == uscc(1) and company["admin"] is True
    async with rt.sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.action.in_(("auth.sign_up", "party.claim", "party.claim_approve"))
                )
            )
        )
    assert actions == ["auth.sign_up", "party.claim", "party.claim_approve"]


async def test_pending_claimant_cannot_act_as_a_bidder(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    me, _ = await signed_up_claimant(client, "hopeful", uscc(2))
    attempts = [
        ("POST", f"/api/v1/lots/{lot.id}/registration", {}),
        ("POST", f"/api/v1/lots/{lot.id}/questions", {"json": {"text": "能否延期？"}}),
        (
            "POST",
            f"/api/v1/lots/{lot.id}/bids",
            {"content": b"sealed", "headers": {"x-bid-signature": "AAAA"}},
        ),
        ("GET", "/bidder", {}),
    ]
    for method, path, extra in attempts:
        headers = {**me, **extra.pop("headers", {})}
        r = await client.request(method, path, headers=headers, **extra)
        assert r.status_code == 403, (path, r.status_code, r.text)
    # Nor may the claimant decide its own claim, nor approve through the page.
    mine = (await client.get("/api/v1/me/claims", headers=me)).json()
    r = await client.post(f"/api/v1/claims/{mine[0]['id']}/approve", headers=me)
    assert r.status_code == 403


async def test_squatter_claims_first_real_company_approved_squatter_rejected(
    rt: Runtime, client: Client
) -> None:
    code = uscc(3)
    squatter, squat = await signed_up_claimant(client, "squatter", code, name="冒名公司")
    real, genuine = await signed_up_claimant(client, "genuine", code)
    assert squat["state"] == genuine["state"] == "pending"  # the first claim blocks nothing
    staff = await bearer(client, "staff-450100")
    r = await client.post(f"/api/v1/claims/{genuine['id']}/approve", headers=staff)
    assert r.status_code == 200, r.text
    mine = (await client.get("/api/v1/me/claims", headers=squatter)).json()
    assert mine[0]["state"] == "rejected" and "another claim" in mine[0]["reason"]
    # The squatter has no company and cannot act for it; its claim cannot be revived.
    assert (await client.get("/api/v1/me/company", headers=squatter)).status_code == 403
    r = await client.post(f"/api/v1/claims/{squat['id']}/approve", headers=staff)
    assert r.status_code == 409
    # Nor claim again: the company has its administrator now (ask for an invitation).
    again = await claim(client, squatter, code, name="冒名公司")
    assert again.status_code == 409 and "invitation" in again.json()["detail"]
    assert (await client.get("/api/v1/me/company", headers=real)).json()["admin"] is True


async def test_reject_needs_a_reason_that_the_claimant_reads(rt: Runtime, client: Client) -> None:
    me, filed = await signed_up_claimant(client, "blurry", uscc(4))
    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    r = await client.post(
        f"/api/v1/claims/{filed['id']}/reject", json={"reason": " "}, headers=staff
    )
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    assert await counts(rt) == before
    r = await client.post(
        f"/api/v1/claims/{filed['id']}/reject",
        json={"reason": "营业执照不清晰，请重新上传"},
        headers=staff,
    )
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    mine = (await client.get("/api/v1/me/claims", headers=me)).json()
    assert mine[0]["reason"] == "营业执照不清晰，请重新上传"
    # Rejected, the person may claim again (a new pending claim).
    r = await claim(client, me, uscc(4))
    assert r.status_code == 201 and r.json()["state"] == "pending"


async def test_who_may_decide(rt: Runtime, client: Client) -> None:
    me, filed = await signed_up_claimant(client, "applicant", uscc(5), center="450102")
    url = f"/api/v1/claims/{filed['id']}"
    before = await counts(rt)
    assert (await client.post(f"{url}/approve")).status_code == 401
    for username in ("bidder-1", "tenderer-1", "custodian-450102-1", "supervisor-450000"):
        r = await client.post(f"{url}/approve", headers=await bearer(client, username))
        assert r.status_code == 403, (username, r.text)
    # Staff of another center, and of the parent center, do not decide Xingning's claims.
    for username in ("staff-450200", "staff-450100"):
        headers = await bearer(client, username)
        r = await client.post(f"{url}/approve", headers=headers)
        assert r.status_code == 403, (username, r.text)
        r = await client.post(f"{url}/reject", json={"reason": "不归我管"}, headers=headers)
        assert r.status_code == 403, (username, r.text)
        assert (await client.get("/api/v1/claims", headers=headers)).json() == []
        assert (await client.get(f"{url}/licence", headers=headers)).status_code == 404
    assert await counts(rt) == before
    # Supervisors above read the claim and its licence; the public and other bidders do not.
    sup = await bearer(client, "supervisor-450100")
    assert [c["id"] for c in (await client.get("/api/v1/claims", headers=sup)).json()] == [
        filed["id"]
    ]
    assert (await client.get(f"{url}/licence", headers=sup)).status_code == 200
    assert (await client.get(f"{url}/licence", headers=me)).status_code == 200  # its own
    other = await bearer(client, "bidder-1")
    assert (await client.get(f"{url}/licence", headers=other)).status_code == 404
    assert (await client.get(f"{url}/licence")).status_code in (401, 404)
    staff = await bearer(client, "staff-450102")
    assert (await client.post(f"{url}/approve", headers=staff)).status_code == 200


async def test_claim_input_is_checked_and_nothing_is_kept(rt: Runtime, client: Client) -> None:
    await sign_up(client, "careful")
    me = await token(client, "careful")
    before = await counts(rt)
    bad_check = uscc(6)[:17] + ("0" if uscc(6)[17] != "0" else "1")
    cases = [
        (dict(code=bad_check), 422, "uscc"),
        (dict(code=uscc(6), center="999999"), 422, "center"),
        (dict(code=uscc(6), name="x"), 422, "org_name"),
        (dict(code=uscc(6), licence=b"MZ\x90\x00 not a licence"), 422, "licence"),
        (dict(code=uscc(6), licence=b""), 422, "licence"),
    ]
    for kw, status, field in cases:
        code = kw.pop("code")
        r = await claim(client, me, code, **kw)
        assert r.status_code == status and field in r.json()["detail"], (kw, r.text)
    assert await counts(rt) == before
    # An existing company (a demo bidder's) cannot be claimed: its administrator invites.
    from bidhall.demo import demo_uscc

    r = await claim(client, me, demo_uscc(2))
    assert r.status_code == 409
    # One open claim per person.
    assert (await claim(client, me, uscc(6))).status_code == 201
    assert (await claim(client, me, uscc(7))).status_code == 409


async def test_signup_checks_the_person(rt: Runtime, client: Client) -> None:
    before = await counts(rt)
    bad = [
        {"username": "AB", "password": "a-long-password-1"},
        {"username": "shorty", "password": "short"},
        {"username": "bidder-1", "password": "a-long-password-1"},
        {"username": "mailer", "password": "a-long-password-1", "email": "not-an-email"},
        {"username": "invited", "password": "a-long-password-1", "invitation": "nope"},
    ]
    for body in bad:
        r = await client.post("/api/v1/auth/signup", json=body)
        assert r.status_code in (409, 422), (body, r.text)
    assert await counts(rt) == before
    created = await sign_up(client, "loner", phone="+86 771 1234567", email="a@b.cn")
    assert created["org_id"] is None and created["roles"] == []


# ---- racing approvals (real concurrent requests) -----------------------------------------------


@pytest.fixture
async def http(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as c:
        yield c


async def test_two_staff_approve_two_claims_of_one_uscc_at_once_one_wins(
    rt: Runtime, clock: FixedClock, http: httpx.AsyncClient
) -> None:
    async with rt.sessionmaker() as session, writing(session):
        nanning = await session.scalar(select(Center.id).where(Center.code == "450100"))
        await create_user(
            session,
            username="staff-450100-b",
            password="bidhall-demo-2026",
            display_name="南宁第二位工作人员",
            roles=[Role.STAFF],
            now=clock.now(),
            center_id=nanning,
        )
    code = uscc(8)
    _, first = await signed_up_claimant(http, "racer-a", code)
    _, second = await signed_up_claimant(http, "racer-b", code)
    staff_a = await bearer(http, "staff-450100")
    staff_b = await bearer(http, "staff-450100-b")
    responses = await asyncio.gather(
        http.post(f"/api/v1/claims/{first['id']}/approve", headers=staff_a),
        http.post(f"/api/v1/claims/{second['id']}/approve", headers=staff_b),
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    async with rt.sessionmaker() as session:
        orgs = list(await session.scalars(select(Organization).where(Organization.uscc == code)))
        states = sorted(await session.scalars(select(OrgClaim.state).where(OrgClaim.uscc == code)))
    assert len(orgs) == 1
    assert states == ["approved", "rejected"]
