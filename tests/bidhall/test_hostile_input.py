"""Attack: hostile input through the HTTP app. Amounts are validated once at the edge, a JSON
body is taken only as JSON, OPTIONS never runs a guard, and concurrent duplicates end in one
winner and a 409 (never a 500), with the database consistent."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar import Litestar, post
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bidding.hall.models import OpeningResponse, ResponseKind
from bidding.opening.flows import run_opening
from bidhall.demo import release_shares
from tests.bidhall.test_api import counts, project_body
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.kernel.bodies import JsonBody
from trading.kernel.clock import FixedClock
from trading.kernel.content_type import takes_json
from trading.kernel.money import MAX_AMOUNT
from trading.kernel.runtime import Runtime
from trading.kernel.web import EXCEPTION_HANDLERS
from trading.parties.models import Organization
from trading.projects.models import Lot, Project, ProjectCounter

PROBLEM = "application/problem+json"


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body  # type: ignore[no-any-return]


# ---- amounts: validated once, at the edge ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("budget", "1e400"),  # was stored as infinity
        ("budget", "1e308"),  # was published with a 309-digit budget
        ("budget", "12345678901234567890.12"),  # was silently altered
        ("budget", str(MAX_AMOUNT + Decimal("0.01"))),  # one fen too many
        ("budget", "NaN"),
        ("budget", "Infinity"),
        ("budget", "1,000.00"),
        ("budget", "0"),
        ("budget", "-5.00"),
        ("budget", "100.001"),
        ("control_price", "-0.01"),
        ("control_price", "1E+2"),
        ("bid_security", "-1"),
        ("bid_security", "0.001"),
    ],
)
async def test_bad_amount_is_422_naming_the_field_and_nothing_is_written(
    rt: Runtime, client: Client, field: str, value: str
) -> None:
    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    body = project_body(rt)
    body["lots"].append({**body["lots"][0], "title": "第2标段", field: value})
    r = await client.post("/api/v1/projects", json=body, headers=staff)
    problem = assert_problem(r, 422)
    assert problem["field"] == f"lots[1].{field}"
    assert problem["detail"].startswith(f"lots[1].{field}: ")
    assert await counts(rt) == before


@pytest.mark.parametrize("number", [1e308, 1234567890123456.78, 0.1, 1000000])
async def test_an_amount_is_a_string_not_a_json_number(
    rt: Runtime, client: Client, number: float
) -> None:
    """A JSON number is a binary float by the time it is decoded: refused as the wrong type
    (the API documents amounts as strings), never rounded into something else."""
    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    r = await client.post("/api/v1/projects", json=project_body(rt, budget=number), headers=staff)
    problem = assert_problem(r, 400)
    assert "budget" in str(problem["errors"])
    assert await counts(rt) == before


async def test_largest_amount_is_accepted_and_one_fen_more_is_not(
    rt: Runtime, client: Client
) -> None:
    staff = await bearer(client, "staff-450100")
    too_much = str(MAX_AMOUNT + Decimal("0.01"))
    r = await client.post("/api/v1/projects", json=project_body(rt, budget=too_much), headers=staff)
    assert_problem(r, 422)
    r = await client.post(
        "/api/v1/projects",
        json=project_body(rt, budget=str(MAX_AMOUNT), control_price="12345678901.23"),
        headers=staff,
    )
    assert r.status_code == 201, r.text
    lot = r.json()["lots"][0]
    assert lot["control_price"] == "12345678901.23" and lot["bid_security"] == "10000.00"


async def test_largest_amount_is_stored_exactly(rt: Runtime, client: Client) -> None:
    staff = await bearer(client, "staff-450100")
    r = await client.post(
        "/api/v1/projects", json=project_body(rt, budget=str(MAX_AMOUNT)), headers=staff
    )
    assert r.status_code == 201, r.text
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, r.json()["lots"][0]["id"])
    assert lot is not None and lot.budget == MAX_AMOUNT


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("docs_issued_at", "0001-01-01T00:00:00+14:00", "out of range"),  # overflowed to UTC
        ("bid_deadline", "9999-12-31T23:59:59-14:00", "out of range"),
        ("bid_deadline", "2200-01-01T00:00:00Z", "out of range"),
        ("docs_available_until", "2026-04-01T10:00:00", "timezone"),
        ("evaluation_at", "2026-04-01T10:00:00", "timezone"),
    ],
)
async def test_bad_time_is_422_naming_the_field(
    rt: Runtime, client: Client, field: str, value: str, needle: str
) -> None:
    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    body = project_body(rt, **{field: value})
    r = await client.post("/api/v1/projects", json=body, headers=staff)
    problem = assert_problem(r, 422)
    assert problem["field"] == f"lots[0].{field}" and needle in problem["detail"]
    assert await counts(rt) == before


async def test_amendment_deadline_goes_through_the_same_check(
    client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    staff = await bearer(client, "staff-450100")
    body = {"title": "补充通知", "new_deadline": "9999-12-31T23:59:59-14:00"}
    r = await client.post(f"/api/v1/lots/{lot.id}/amendments", json=body, headers=staff)
    assert assert_problem(r, 422)["field"] == "new_deadline"


async def test_bid_security_amount_goes_through_the_same_check(
    client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    bidder = await bearer(client, "bidder-1")
    assert (
        await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    ).status_code == 200
    body = {"amount": "1e400", "form": "guarantee", "reference": "保函 BG-2026-001"}
    r = await client.put(f"/api/v1/lots/{lot.id}/security", json=body, headers=bidder)
    assert assert_problem(r, 422)["field"] == "amount"
    r = await client.put(
        f"/api/v1/lots/{lot.id}/security", json={**body, "amount": 95000.5}, headers=bidder
    )
    assert_problem(r, 400)


def test_every_amount_and_time_of_every_request_body_is_validated(rt: Runtime) -> None:
    """A request body with an amount or a time must be a JsonBody (which validates them,
    nested ones included), and no request struct may take a bare Decimal (floats slip in)."""
    import msgspec

    from bidhall.app import create_app

    app = create_app(rt.settings, check_schema=False)

    def structs(cls: type[msgspec.Struct]) -> list[type[msgspec.Struct]]:
        found = [cls]
        for field in msgspec.structs.fields(cls):
            for t in re.findall(r"[\w.]+", repr(field.type)):
                nested = getattr(__import__(cls.__module__, fromlist=["x"]), t, None)
                if isinstance(nested, type) and issubclass(nested, msgspec.Struct):
                    found += structs(nested)
        return found

    bodies = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            field = handler.parsed_fn_signature.parameters.get("data")
            body = field.annotation if field is not None else None
            if not (isinstance(body, type) and issubclass(body, msgspec.Struct)):
                continue
            bodies += 1
            for struct in structs(body):
                types = [repr(f.type) for f in msgspec.structs.fields(struct)]
                assert not any("Decimal" in t for t in types), (struct, types)
                if any("_AmountField" in t or "datetime" in t for t in types):
                    assert issubclass(body, JsonBody), body
    assert bodies >= 10


# ---- JSON bodies only as JSON ------------------------------------------------------------------


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_json_route_refuses_other_content_types_with_415(
    rt: Runtime, client: Client
) -> None:
    from bidhall.app import create_app

    app = create_app(rt.settings, check_schema=False)
    json_routes = [
        (method, _concrete(route.path))
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if takes_json(handler)
        for method in handler.http_methods
    ]
    assert len(json_routes) >= 10
    before = await counts(rt)
    for method, path in json_routes:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"content-type": content_type} if content_type else {}
            r = await client.request(method, path, content=b'{"text": "x"}', headers=headers)
            problem = assert_problem(r, 415)
            assert "application/json" in problem["detail"], (method, path)
    assert await counts(rt) == before


async def test_json_sent_as_text_plain_gets_no_token(client: Client) -> None:
    from bidhall.demo import DEMO_PASSWORD

    body = f'{{"username": "staff-450100", "password": "{DEMO_PASSWORD}"}}'
    r = await client.post(
        "/api/v1/auth/token", content=body, headers={"content-type": "text/plain"}
    )
    assert_problem(r, 415)
    ok = await client.post(
        "/api/v1/auth/token",
        content=body,
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201, ok.text


async def test_forms_and_streams_are_not_json_routes(client: Client, publish_lot: Any) -> None:
    from bidhall.demo import DEMO_PASSWORD

    lot = await publish_lot()
    # The sealed upload is a stream of application/octet-stream: refused for its content
    # (not sealed), never for its content type.
    r = await client.post(
        f"/api/v1/lots/{lot.id}/bids",
        content=b"not a sealed bid",
        headers={
            **await bearer(client, "bidder-1"),
            "content-type": "application/octet-stream",
            "x-bid-signature": "AAAA",
        },
    )
    assert r.status_code not in (415, 500), r.text
    assert r.status_code >= 400
    r = await client.post(
        "/login",
        data={"username": "staff-450100", "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text


# ---- input no database takes: NUL characters, integers beyond 64 bits -------------------------


async def test_nul_anywhere_is_400_problem_and_nothing_is_written(
    rt: Runtime, client: Client
) -> None:
    """PostgreSQL cannot store U+0000 in text and fails the statement: refused at the edge."""
    from bidhall.demo import DEMO_PASSWORD

    staff = await bearer(client, "staff-450100")
    before = await counts(rt)
    body = project_body(rt)
    body["title"] = "道路\x00工程"
    attempts = [
        await client.get("/api/v1/lots", params={"q": "a\x00b"}),
        await client.get("/api/v1/centers/45%000/lots"),
        await client.post("/api/v1/projects", json=body, headers=staff),
        await client.post(
            "/api/v1/auth/token", json={"username": "staff\x00-450100", "password": DEMO_PASSWORD}
        ),
        await client.post(
            "/login",
            data={"username": "staff-450100\x00", "password": DEMO_PASSWORD},
            headers={"accept": "application/json"},
        ),
    ]
    for r in attempts:
        assert "NUL" in assert_problem(r, 400)["detail"], r.request.url
    assert await counts(rt) == before
    # A backslash followed by "u0000" is text, not a NUL.
    body["title"] = "路径 C:\\u0000 说明"
    r = await client.post("/api/v1/projects", json=body, headers=staff)
    assert r.status_code == 201 and r.json()["title"] == body["title"], r.text


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/lots?offset=99999999999999999999",
        "/api/v1/audit/heads?before=3656191797971062743019552768",
        "/api/v1/audit/heads?before=" + "9" * 5000,  # more digits than int() takes
        "/api/v1/audit/proof/consistency?first=1&second=-99999999999999999999",
    ],
)
async def test_query_integer_beyond_64_bits_is_400_problem(client: Client, url: str) -> None:
    problem = assert_problem(await client.get(url), 400)
    assert "out of range" in problem["detail"]


# ---- OPTIONS -----------------------------------------------------------------------------------


async def test_options_is_204_on_every_route(rt: Runtime, client: Client) -> None:
    from bidhall.app import create_app

    app = create_app(rt.settings, check_schema=False)
    paths = {
        _concrete(route.path)
        for route in app.routes
        if "OPTIONS" in getattr(route, "methods", set())
    }
    assert {"/api/v1/lots/1/evaluate", "/api/v1/lots/1/candidates", "/api/v1/lots/1/award"} <= (
        paths
    )
    staff = await bearer(client, "staff-450100")
    for path in sorted(paths):
        for headers in ({}, staff):
            r = await client.options(path, headers=headers)
            assert r.status_code == 204, (path, r.status_code, r.text)
            assert "OPTIONS" in r.headers["allow"]


async def test_guards_still_refuse_the_real_methods(rt: Runtime, client: Client) -> None:
    for action in ("evaluate", "candidates", "award"):
        r = await client.post(f"/api/v1/lots/1/{action}")
        assert_problem(r, 401)
        r = await client.post(f"/api/v1/lots/1/{action}", headers=await bearer(client, "bidder-1"))
        assert_problem(r, 403)


# ---- concurrent duplicates ---------------------------------------------------------------------
# Through the real server (uvicorn on 127.0.0.1): Litestar's test client runs one request at a
# time, so only real HTTP requests race.


@pytest.fixture
async def http(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as c:
        yield c


async def test_concurrent_registrations_get_consecutive_project_codes(
    rt: Runtime, http: httpx.AsyncClient
) -> None:
    staff = await bearer(http, "staff-450100")
    async with rt.sessionmaker() as session:
        before = await session.scalar(
            select(func.count(Project.id)).where(Project.code.like("450100-%"))
        )
    n = 8
    responses = await asyncio.gather(
        *(
            http.post(
                "/api/v1/projects", json={**project_body(rt), "title": f"并发{i}"}, headers=staff
            )
            for i in range(n)
        )
    )
    assert [r.status_code for r in responses] == [201] * n, [r.text for r in responses]
    numbers = sorted(int(r.json()["code"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range((before or 0) + 1, (before or 0) + n + 1))
    async with rt.sessionmaker() as session:
        codes = list(await session.scalars(select(Project.code)))
        counter = await session.scalar(
            select(ProjectCounter.last)
            .join(Project, Project.center_id == ProjectCounter.center_id)
            .where(Project.code == responses[0].json()["code"])
        )
    assert len(codes) == len(set(codes))
    assert counter == numbers[-1]


async def test_concurrent_signups_for_one_username_one_wins_others_409(
    rt: Runtime, http: httpx.AsyncClient
) -> None:
    bodies = [
        {"username": "racer", "display_name": f"并发用户{i}", "password": "a-long-password-1"}
        for i in range(5)
    ]
    responses = await asyncio.gather(*(http.post("/api/v1/auth/signup", json=b) for b in bodies))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409], [r.text for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert_problem(r, 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    async with rt.sessionmaker() as session:
        users = list(await session.scalars(select(User).where(User.username == "racer")))
    assert [u.id for u in users] == [winner["user_id"]]


async def test_concurrent_confirmations_confirm_once(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, http: httpx.AsyncClient
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)

    b1 = await bearer(http, "bidder-1")
    url = f"/api/v1/lots/{lot.id}/opening/confirm"
    responses = await asyncio.gather(*(http.post(url, headers=b1) for _ in range(6)))
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1  # confirming twice confirms once
    async with rt.sessionmaker() as session:
        rows = await session.scalar(
            select(func.count(OpeningResponse.id)).where(
                OpeningResponse.lot_id == lot.id, OpeningResponse.kind == ResponseKind.CONFIRM
            )
        )
        audited = await session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action == "opening.confirmed")
        )
    assert rows == 1 and audited == 1


async def test_duplicate_confirmation_row_is_refused_by_the_database(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    """The constraints themselves, without the service's check in front of them: one response of
    each kind per bidder, and a confirmation never beside an unanswered objection (条例 44)."""
    lot = await publish_lot()
    async with rt.sessionmaker() as session:
        org = await session.scalar(select(Organization.id).limit(1))
        user = await session.scalar(select(User.id).limit(1))
        assert org is not None and user is not None

        def response(kind: ResponseKind) -> OpeningResponse:
            return OpeningResponse(
                lot_id=lot.id,
                bidder_org_id=org,
                user_id=user,
                kind=kind,
                text="",
                created_at=clock.now(),
            )

        session.add(response(ResponseKind.OBJECTION))
        await session.commit()  # one objection is fine
        for kind in (ResponseKind.OBJECTION, ResponseKind.CONFIRM):
            session.add(response(kind))
            with pytest.raises(IntegrityError):
                await session.commit()
            await session.rollback()
        count = await session.scalar(
            select(func.count())
            .select_from(OpeningResponse)
            .where(OpeningResponse.lot_id == lot.id)
        )
        assert count == 1


async def test_an_integrity_error_is_a_409_problem_that_leaks_no_sql() -> None:
    @post("/api/v1/dup")
    async def dup() -> None:
        raise IntegrityError(
            "INSERT INTO user_account (username) VALUES ($1)",
            ("secret-name",),
            Exception('duplicate key value violates unique constraint "uq_user_account_username"'),
        )

    @post("/dup-page")
    async def dup_page() -> None:
        raise IntegrityError("INSERT", (), Exception("UNIQUE constraint failed"))

    app = Litestar([dup, dup_page], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app=app) as c:
        r = await c.post("/api/v1/dup")
        problem = assert_problem(r, 409)
        assert problem["title"] == "conflict"
        for secret in ("INSERT", "secret-name", "uq_user_account", "duplicate key"):
            assert secret not in r.text
        r = await c.post("/dup-page", headers={"accept": "application/json"})
        assert_problem(r, 409)
