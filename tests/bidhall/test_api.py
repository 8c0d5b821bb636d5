"""The HTTP API and pages through Litestar's AsyncTestClient: errors, roles, CSRF, throttling."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bidding.client.sealing import seal_bid
from bidding.submission.models import Bid
from bidhall.demo import DEMO_PASSWORD, demo_identity, demo_uscc
from crypto.encoding import b64u_decode
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot, Project


def project_body(rt: Runtime, **lot_changes: Any) -> dict[str, Any]:
    now = rt.clock.now()
    lot = {
        "title": "第1标段",
        "budget": "1000000.00",
        "control_price": "980000.00",
        "bid_security": "10000.00",
        "docs_issued_at": now.isoformat(),
        "bid_deadline": (now + timedelta(days=21)).isoformat(),
        **lot_changes,
    }
    return {
        "title": "接口测试项目",
        "category": "construction",
        "method": "open_tender",
        "tenderer_uscc": demo_uscc(1),
        "lots": [lot],
    }


async def counts(rt: Runtime) -> tuple[int, int]:
    async with rt.sessionmaker() as session:
        projects = await session.scalar(select(func.count(Project.id)))
        # The refusal itself is logged (request.refused); nothing else may change.
        entries = await session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action != "request.refused")
        )
    return projects or 0, entries or 0


async def test_health_and_openapi(client: Client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/projects" in schema["paths"]
    assert "/api/v1/lots/{lot_id}/bids" in schema["paths"]


async def test_wrong_password_is_401_problem(client: Client) -> None:
    r = await client.post(
        "/api/v1/auth/token", json={"username": "staff-450100", "password": "nope"}
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 401 and "password" in r.json()["detail"]


async def test_login_throttled_after_repeated_failures(client: Client, clock: FixedClock) -> None:
    # Throttled per (username, address): tests/trading/auth has the attacks from other addresses.
    for _ in range(5):
        r = await client.post("/api/v1/auth/token", json={"username": "bidder-1", "password": "x"})
        assert r.status_code == 401
    # Even the right password is refused until the delay has passed.
    right = {"username": "bidder-1", "password": DEMO_PASSWORD}
    r = await client.post("/api/v1/auth/token", json=right)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert r.json()["retry_after"] == 1
    clock.advance(timedelta(seconds=1))
    assert (await client.post("/api/v1/auth/token", json=right)).status_code == 201


async def test_register_requires_login_and_role(rt: Runtime, client: Client) -> None:
    assert (await client.post("/api/v1/projects", json=project_body(rt))).status_code == 401
    bidder = await bearer(client, "bidder-1")
    r = await client.post("/api/v1/projects", json=project_body(rt), headers=bidder)
    assert r.status_code == 403 and r.json()["title"] == "PermissionDeniedException"


async def test_register_and_publish_by_staff(rt: Runtime, client: Client) -> None:
    staff = await bearer(client, "staff-450100")
    r = await client.post("/api/v1/projects", json=project_body(rt), headers=staff)
    assert r.status_code == 201, r.text
    project = r.json()
    assert project["center_code"] == "450100" and project["code"].startswith("450100-")
    lot_id = project["lots"][0]["id"]
    # A draft is invisible to the public and to other centers' staff.
    assert (await client.get(f"/api/v1/projects/{project['id']}")).status_code == 404
    other = await bearer(client, "staff-450200")
    assert (await client.post(f"/api/v1/lots/{lot_id}/publish", headers=other)).status_code == 404
    r = await client.post(f"/api/v1/lots/{lot_id}/publish", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "announced" and r.json()["opening_pub"]
    assert (await client.get(f"/api/v1/projects/{project['id']}")).status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "needle"),
    [
        ({"tenderer_uscc": "91450100MA00000010"}, 422, "tenderer_uscc"),
        ({"category": "spaceships"}, 400, "category"),
        ({"surprise": 1}, 400, "surprise"),
        ({"lots": []}, 400, "lots"),
    ],
)
async def test_bad_project_input_is_refused_and_nothing_written(
    rt: Runtime, client: Client, changes: dict[str, Any], status: int, needle: str
) -> None:
    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    body = {**project_body(rt), **changes}
    r = await client.post("/api/v1/projects", json=body, headers=staff)
    assert r.status_code == status, r.text
    assert needle in r.text
    assert await counts(rt) == before


@pytest.mark.parametrize(
    ("lot_changes", "needle"),
    [
        ({"budget": "-5.00"}, "budget"),
        ({"budget": "100.001"}, "budget"),
        ({"bid_deadline": "2026-04-01T10:00:00"}, "timezone"),
    ],
)
async def test_bad_amounts_and_naive_times_refused(
    rt: Runtime, client: Client, lot_changes: dict[str, Any], needle: str
) -> None:
    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    r = await client.post("/api/v1/projects", json=project_body(rt, **lot_changes), headers=staff)
    assert r.status_code == 422 and needle in r.json()["detail"]
    assert await counts(rt) == before


async def test_publish_refused_with_rule_citation(rt: Runtime, client: Client) -> None:
    staff = await bearer(client, "staff-450100")
    short = (rt.clock.now() + timedelta(days=12)).isoformat()
    r = await client.post(
        "/api/v1/projects", json=project_body(rt, bid_deadline=short), headers=staff
    )
    lot_id = r.json()["lots"][0]["id"]
    before = await counts(rt)
    r = await client.post(f"/api/v1/lots/{lot_id}/publish", headers=staff)
    assert r.status_code == 422
    assert "招标投标法 第24条" in r.json()["detail"]
    assert r.json()["violations"][0]["rule"] == "bid_period_days"
    assert await counts(rt) == before
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None and lot.state == "draft" and lot.opening_pub is None


async def test_cancel_is_idempotent_and_final(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    staff = await bearer(client, "staff-450100")
    r = await client.post(
        f"/api/v1/lots/{lot.id}/cancel", json={"reason": "项目取消"}, headers=staff
    )
    assert r.json() == {"lot_id": lot.id, "state": "cancelled", "changed": True}
    r = await client.post(
        f"/api/v1/lots/{lot.id}/cancel", json={"reason": "项目取消"}, headers=staff
    )
    assert r.json()["changed"] is False
    r = await client.post(f"/api/v1/lots/{lot.id}/publish", headers=staff)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


# ---- sealed submission over HTTP ---------------------------------------------------------------


def sealed_for(
    rt: Runtime,
    lot: Lot,
    tmp: Path,
    *,
    bidder: str = "bidder-1",
    lot_id: str | None = None,
    version: int = 1,
    price: str = "900000.00",
) -> tuple[bytes, str]:
    assert lot.opening_pub is not None
    n = int(bidder.split("-")[1]) + 1  # demo_uscc(1) is the tenderer
    sealed = seal_bid(
        demo_identity(rt, bidder),
        lot_id=lot_id or f"lot-{lot.id}",
        bidder_id=demo_uscc(n),
        version=version,
        opening_pub=b64u_decode(lot.opening_pub, length=32),
        price_form={"price": price},
        out=tmp / f"{bidder}-{version}.sealed",
    )
    return sealed.path.read_bytes(), sealed.signature


async def upload(
    client: Client,
    lot_id: int,
    body: bytes,
    signature: str | None,
    headers: dict[str, str],
    content_type: str = "application/octet-stream",
) -> Any:
    h = {**headers, "content-type": content_type}
    if signature is not None:
        h["x-bid-signature"] = signature
    return await client.post(f"/api/v1/lots/{lot_id}/bids", content=body, headers=h)


async def bid_rows(rt: Runtime) -> int:
    async with rt.sessionmaker() as session:
        return await session.scalar(select(func.count(Bid.id))) or 0


def blob_files(rt: Runtime) -> list[Path]:
    return [p for p in rt.settings.blob_dir.rglob("*") if p.is_file()]


async def test_http_submission_returns_signed_receipt(
    rt: Runtime, client: Client, publish_lot: Any, tmp_path: Path
) -> None:
    from crypto.receipts import verify_receipt

    lot = await publish_lot()
    body, signature = sealed_for(rt, lot, tmp_path)
    r = await upload(client, lot.id, body, signature, await bearer(client, "bidder-1"))
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    key = (await client.get("/api/v1/platform/key")).json()["sign_pub"]
    verify_receipt(receipt, b64u_decode(key, length=32))
    assert receipt["size"] == len(body)


async def test_submission_attacks_leave_nothing(
    rt: Runtime, client: Client, publish_lot: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    other = await publish_lot(title="另一个项目")
    bidder = await bearer(client, "bidder-1")
    body, signature = sealed_for(rt, lot, tmp_path)
    cross, cross_sig = sealed_for(rt, other, tmp_path, version=7)
    before_blobs = blob_files(rt)
    cases = [
        (
            await upload(client, lot.id, b"PRICE=100 plain text bid", signature, bidder),
            422,
            "sealed",
        ),
        (await upload(client, lot.id, body, None, bidder), 400, "x-bid-signature"),
        (
            await upload(client, lot.id, body, signature, bidder, "application/json"),
            400,
            "octet-stream",
        ),
        (
            await upload(
                client, lot.id, body, sealed_for(rt, lot, tmp_path, price="1.00")[1], bidder
            ),
            422,
            "signature",
        ),
        (await upload(client, lot.id, cross, cross_sig, bidder), 422, "lot"),
        (
            await upload(client, lot.id, body, signature, await bearer(client, "bidder-2")),
            422,
            "bidder",
        ),
        (
            await upload(client, lot.id, body, signature, await bearer(client, "staff-450100")),
            403,
            "bidder",
        ),
        (await upload(client, lot.id, body, signature, {}), 401, ""),
    ]
    for response, status, needle in cases:
        assert response.status_code == status, response.text
        assert needle in response.text.lower() or needle in response.text
    assert await bid_rows(rt) == 0
    assert blob_files(rt) == before_blobs


async def test_every_role_refused_after_deadline(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, tmp_path: Path
) -> None:
    lot = await publish_lot()
    body, signature = sealed_for(rt, lot, tmp_path)
    clock.set(lot.bid_deadline)
    for username in ("bidder-1", "staff-450100", "supervisor-450000", "custodian-450100-1"):
        r = await upload(client, lot.id, body, signature, await bearer(client, username))
        assert r.status_code in (403, 409), (username, r.text)
    r = await upload(client, lot.id, body, signature, await bearer(client, "bidder-1"))
    assert r.status_code == 409 and "deadline" in r.json()["detail"]
    withdraw = await client.delete(
        f"/api/v1/lots/{lot.id}/bids", headers=await bearer(client, "bidder-1")
    )
    assert withdraw.status_code == 409
    assert await bid_rows(rt) == 0


async def test_staff_cannot_open_early_over_http(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    r = await client.post(
        f"/api/v1/lots/{lot.id}/opening", headers=await bearer(client, "staff-450100")
    )
    assert r.status_code == 409 and "deadline" in r.json()["detail"]
    assert (await client.get(f"/api/v1/lots/{lot.id}/opening")).status_code == 404


async def test_cookie_session_needs_csrf_for_api_writes(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    r = await client.post(
        "/login",
        data={"username": "staff-450100", "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code in (302, 303) and "bh_session" in r.cookies
    r = await client.post(f"/api/v1/lots/{lot.id}/cancel", json={"reason": "跨站请求"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    async with rt.sessionmaker() as session:
        assert (await session.get(Lot, lot.id)).state == "announced"  # type: ignore[union-attr]


async def test_portal_lists_lots_in_chinese_and_english(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(title="测试门户项目")
    page = await client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and "测试门户项目" in page.text and "交易公告" in page.text
    english = await client.get("/?lang=en")
    assert "Tenders" in english.text and "Announced" in english.text
    detail = await client.get(f"/lots/{lot.id}?lang=zh")
    assert (
        "投标截止" in detail.text
        and "发布招标公告" in detail.text
        and "进入开标大厅" in detail.text
    )
    filtered = await client.get("/?center=450200")
    assert "测试门户项目" not in filtered.text
    missing = await client.get("/lots/999999", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "出错了" in missing.text


async def test_logout_needs_the_session_csrf_token(rt: Runtime, client: Client) -> None:
    r = await client.post(
        "/login", data={"username": "bidder-1", "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert r.status_code in (302, 303)
    forged = await client.post("/logout", data={"_csrf": "guess"}, follow_redirects=False)
    assert forged.status_code == 403
    page = await client.get("/", headers={"accept": "text/html"})
    assert "bidder-1" in page.text  # still signed in
    token = page.text.split('name="_csrf" value="')[1].split('"')[0]
    done = await client.post("/logout", data={"_csrf": token}, follow_redirects=False)
    assert done.status_code in (302, 303)
    assert "bidder-1" not in (await client.get("/")).text


async def test_bidder_self_registration(rt: Runtime, client: Client) -> None:
    """Signing up gives an account with no rights: a company is claimed separately and acts
    only once a center approves the claim (tests/trading/parties/test_claims.py)."""
    body = {"username": "newbidder", "password": "a-long-password-1", "display_name": "新用户"}
    r = await client.post("/api/v1/auth/signup", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["org_id"] is None and r.json()["roles"] == []
    login = await client.post(
        "/api/v1/auth/token", json={"username": "newbidder", "password": "a-long-password-1"}
    )
    assert login.status_code == 201 and login.json()["roles"] == []
    before = await counts(rt)
    taken = await client.post("/api/v1/auth/signup", json=body)
    assert taken.status_code == 409 and "username" in taken.json()["detail"]
    short = await client.post("/api/v1/auth/signup", json={**body, "username": "x"})
    assert short.status_code == 422
    assert await counts(rt) == before


async def test_refused_writes_are_audited(rt: Runtime, client: Client, publish_lot: Any) -> None:
    lot = await publish_lot()
    await client.post(f"/api/v1/lots/{lot.id}/cancel", json={"reason": "无权操作"})  # 401
    bidder = await bearer(client, "bidder-1")
    await client.post(f"/api/v1/lots/{lot.id}/cancel", json={"reason": "无权操作"}, headers=bidder)
    async with rt.sessionmaker() as session:
        refused = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "request.refused")
                .order_by(AuditEntry.seq)
            )
        )
    assert [(e.actor, e.target_id) for e in refused] == [
        ("public", f"POST /api/v1/lots/{lot.id}/cancel"),
        ("bidder-1", f"POST /api/v1/lots/{lot.id}/cancel"),
    ]
    assert '"status":401' in refused[0].body and '"status":403' in refused[1].body


async def test_public_never_sees_a_draft_lot_of_a_published_project(
    rt: Runtime, client: Client
) -> None:
    staff = await bearer(client, "staff-450100")
    body = project_body(rt)
    body["lots"].append({**body["lots"][0], "title": "第2标段（未发布）", "budget": "777777.00"})
    project = (await client.post("/api/v1/projects", json=body, headers=staff)).json()
    first = project["lots"][0]["id"]
    assert (await client.post(f"/api/v1/lots/{first}/publish", headers=staff)).status_code == 200
    public = await client.get(f"/api/v1/projects/{project['id']}")
    assert [lot["id"] for lot in public.json()["lots"]] == [first]
    assert "777777" not in public.text and "未发布" not in public.text
    own = await client.get(f"/api/v1/projects/{project['id']}", headers=staff)
    assert len(own.json()["lots"]) == 2


async def test_whole_audit_log_only_for_the_top_level_supervisor(client: Client) -> None:
    city = await client.get(
        "/api/v1/audit/entries", headers=await bearer(client, "supervisor-450100")
    )
    assert city.status_code == 403 and "centers" in city.json()["detail"]
    top = await client.get(
        "/api/v1/audit/entries", headers=await bearer(client, "supervisor-450000")
    )
    assert top.status_code == 200 and top.json()[0]["seq"] == 1


HUGE_IDS = ["99999999999999999999999", str(2**63), str(-(2**63) - 1)]


@pytest.mark.parametrize("huge", HUGE_IDS)
async def test_path_ids_beyond_64_bits_are_404_not_5xx(client: Client, huge: str) -> None:
    """Anonymous and signed-in callers probing with ids no column can hold get a 404 problem."""
    staff = await bearer(client, "staff-450100")
    probes = [
        ("GET", f"/api/v1/lots/{huge}/opening", {}),
        ("GET", f"/api/v1/audit/entries/{huge}", {}),
        ("GET", f"/api/v1/projects/{huge}", staff),
        ("GET", f"/lots/{huge}", {}),
        ("POST", f"/api/v1/lots/{huge}/publish", staff),
        ("POST", f"/api/v1/lots/{huge}/opening", staff),
    ]
    for method, path, headers in probes:
        r = await client.request(method, path, headers=headers)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        if path.startswith("/api/"):
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["status"] == 404


async def test_largest_64_bit_id_is_a_plain_miss(client: Client) -> None:
    """The boundary itself reaches the database and is simply not found."""
    r = await client.get(f"/api/v1/lots/{2**63 - 1}/opening")
    assert r.status_code == 404, r.text
