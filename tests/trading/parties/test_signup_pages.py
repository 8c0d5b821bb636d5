"""The sign-up, account and claim review pages: plain forms (no JavaScript), CSRF on the
signed-in ones, a refusal re-renders the form by its field with nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bidhall.demo import DEMO_PASSWORD
from tests.support.clients import Client
from tests.trading.parties.accounts_support import LICENCE, PASSWORD, uscc
from trading.auth.models import User
from trading.kernel.runtime import Runtime
from trading.parties.models import OrgClaim

HTML = {"accept": "text/html"}


def csrf_of(html: str) -> str:
    return html.split('name="_csrf" value="', 1)[1].split('"', 1)[0]


def stored_blobs(rt: Runtime) -> set[Path]:
    root = Path(rt.settings.blob_dir)
    return {p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts}


async def users_and_claims(rt: Runtime) -> tuple[int, int]:
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(User.id))) or 0,
            await session.scalar(select(func.count(OrgClaim.id))) or 0,
        )


def form(username: str, code: str, **changes: str) -> dict[str, str]:
    return {
        "username": username,
        "display_name": "王经理",
        "password": PASSWORD,
        "password2": PASSWORD,
        "mode": "claim",
        "uscc": code,
        "org_name": "广西页面建设有限公司",
        "center": "450100",
        **changes,
    }


async def post_signup(client: Client, data: dict[str, str], licence: bytes | None = LICENCE) -> Any:
    files = {"licence": ("执照.pdf", licence, "application/pdf")} if licence is not None else None
    return await client.post(
        "/signup", data=data, files=files, headers=HTML, follow_redirects=False
    )


async def test_sign_up_with_a_claim_then_staff_approve_on_the_page(
    rt: Runtime, client: Client
) -> None:
    page = await client.get("/signup", headers=HTML)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert 'name="licence"' in page.text and "450100" in page.text
    assert 'href="/signup"' in (await client.get("/login", headers=HTML)).text
    r = await post_signup(client, form("pageboss", uscc(20)))
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/account?done=signed_up"
    account = await client.get("/account", headers=HTML)
    assert account.status_code == 200
    assert hashlib.sha256(LICENCE).hexdigest() in account.text
    assert 'data-state="pending"' in account.text and 'id="pending-note"' in account.text
    assert (await client.get("/bidder", headers=HTML, follow_redirects=False)).status_code == 403
    await client.post("/logout", data={"_csrf": csrf_of(account.text)})

    r = await client.post(
        "/login",
        data={"username": "staff-450100", "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    dashboard = await client.get("/center", headers=HTML)
    assert 'href="/center/claims"' in dashboard.text
    review = await client.get("/center/claims", headers=HTML)
    assert uscc(20) in review.text and hashlib.sha256(LICENCE).hexdigest() in review.text
    claim_id = review.text.split('data-claim-id="', 1)[1].split('"', 1)[0]
    r = await client.post(f"/center/claims/{claim_id}/approve", data={}, headers=HTML)
    assert r.status_code == 403  # no CSRF token
    r = await client.post(
        f"/center/claims/{claim_id}/reject",
        data={"_csrf": csrf_of(review.text), "reason": " "},
        headers=HTML,
    )
    assert r.status_code == 422 and f'id="claim-{claim_id}-error"' in r.text
    r = await client.post(
        f"/center/claims/{claim_id}/approve",
        data={"_csrf": csrf_of(review.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/center/claims?done=approved"
    assert uscc(20) not in (await client.get("/center/claims", headers=HTML)).text
    r = await client.post(
        f"/center/claims/{claim_id}/approve", data={"_csrf": csrf_of(review.text)}, headers=HTML
    )
    assert r.status_code == 409  # already decided: said on the page, by the claim


async def test_refused_sign_up_writes_nothing(rt: Runtime, client: Client) -> None:
    before, blobs = await users_and_claims(rt), stored_blobs(rt)
    cases = [
        (form("mismatch", uscc(21), password2="another-password-9"), LICENCE, "password2"),
        (form("badcode", uscc(21)[:17] + "0" if uscc(21)[17] != "0" else "1"), LICENCE, "uscc"),
        (form("nolicence", uscc(21)), None, "licence"),
        (form("notapdf", uscc(21)), b"GIF89a not accepted", "licence"),
        (form("nocenter", uscc(21), center=""), LICENCE, "center"),
        (form("bidder-1", uscc(21)), LICENCE, "username"),
        (form("x", uscc(21)), LICENCE, "username"),
    ]
    for data, licence, field in cases:
        r = await post_signup(client, data, licence)
        assert r.status_code in (409, 422), (data["username"], r.status_code)
        assert f'id="{field}-error"' in r.text, (data["username"], field)
        assert "bh_session" not in r.cookies
        if field != "username":  # what was typed stays, passwords never
            assert f'value="{data["username"]}"' in r.text
        assert PASSWORD not in r.text
    assert await users_and_claims(rt) == before
    assert stored_blobs(rt) == blobs


async def test_sign_up_without_a_company_then_claim_from_the_account(
    rt: Runtime, client: Client
) -> None:
    r = await post_signup(client, form("alone", "", mode="none", center=""), None)
    assert r.status_code == 303, r.text
    account = await client.get("/account", headers=HTML)
    assert 'id="no-company"' in account.text and 'id="claim-form"' in account.text
    r = await client.post(
        "/account/claims",
        data={"uscc": uscc(22), "org_name": "后来申请有限公司", "center": "450200"},
        files={"licence": ("licence.png", b"\x89PNG\r\n\x1a\n....", "image/png")},
        headers=HTML,
    )
    assert r.status_code == 403  # no CSRF token
    r = await client.post(
        "/account/claims",
        data={
            "_csrf": csrf_of(account.text),
            "uscc": uscc(22),
            "org_name": "后来申请有限公司",
            "center": "450200",
        },
        files={"licence": ("licence.png", b"\x89PNG\r\n\x1a\n....", "image/png")},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/account?done=claimed"
    account = await client.get("/account", headers=HTML)
    assert uscc(22) in account.text and 'id="claim-form"' not in account.text


async def test_supervisors_read_claims_and_cannot_decide(rt: Runtime, client: Client) -> None:
    await post_signup(client, form("supcase", uscc(23), center="450102"))
    await client.post("/logout", data={"_csrf": csrf_of((await client.get("/account")).text)})
    await client.post("/login", data={"username": "supervisor-450100", "password": DEMO_PASSWORD})
    review = await client.get("/center/claims", headers=HTML)
    assert review.status_code == 200 and uscc(23) in review.text
    assert 'id="read-only"' in review.text and "approve-form" not in review.text
    claim_id = review.text.split('data-claim-id="', 1)[1].split('"', 1)[0]
    r = await client.post(
        f"/center/claims/{claim_id}/approve", data={"_csrf": csrf_of(review.text)}, headers=HTML
    )
    assert r.status_code == 403
