"""Scores stay secret until the chair finalises: between the experts, and from bidders, staff,
supervisors and the public, as attacks through every route that could show them — each expert's
desk (page and JSON) as another expert, every GET route of the app that names only the lot (the
/api/v1 evaluation routes, the lot desk, the portal lot page, the hall, the audit log by lot),
the whole audit log, and the hall's SSE stream. Each seat's numbers and comments are distinctive
strings, so finding one anywhere it does not belong is a leak."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bidhall.app import create_app
from evaluation.report import service as report
from evaluation.scoring import work
from tests.bidding.hall.conftest import next_event, sse, web_login
from tests.evaluation.scoring.conftest import World, build_world, declare
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}
SEATS = 5
STREAMS = ("/hall/events",)  # never-ending: read through the live server below
OUTSIDERS = ("bidder-1", "bidder-2", "staff-450100", "staff-450000", "supervisor-450100",
             "supervisor-450000", "tenderer-1")  # fmt: skip


@pytest.fixture
async def world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    return await build_world(rt, clock, publish_lot, bid)


def marks(n: int) -> list[str]:
    """Seat n's distinctive numbers and comment; seat 4's technical score deviates from the
    committee's mean by more than 20%, so seat 4 also writes a distinctive reason."""
    tech = "20.47" if n == 4 else f"3{n}.{n}7"
    return [tech, f"1{n}.{n}3", f"S{n}-secret-comment", *(["S4-secret-reason"] if n == 4 else [])]


def sheet(w: World, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    tech, svc, comment = marks(n)[:3]
    qualification = {b: {"pass": True, "reason": ""} for b in w.bids.values()}
    scores = {
        b: {"tech": {"score": tech, "comment": comment}, "svc": {"score": svc, "comment": ""}}
        for b in w.bids.values()
    }
    return qualification, scores


def leaked(text: str, seats: range | list[int]) -> list[str]:
    return [m for n in seats for m in marks(n) if m in text]


def lot_routes(rt: Runtime) -> list[str]:
    """Every GET route of the app whose only parameter is the lot (or none), streams aside."""
    app = create_app(rt.settings, runtime=rt, check_schema=False)
    paths: set[str] = set()
    for route in app.routes:
        if route.path.startswith(("/static/", "/schema")) or route.path.endswith(STREAMS):
            continue
        if not any("GET" in getattr(h, "http_methods", ()) for h in route.route_handlers):
            continue
        if re.sub(r"\{lot_id:int\}", "", route.path).count("{"):
            continue
        paths.add(route.path)
    return sorted(paths)


async def test_scores_secret_until_finalised_through_every_route(
    client: Client,
    rt: Runtime,
    clock: FixedClock,
    world: World,
    live_server: str,
) -> None:
    for n in range(SEATS):
        await declare(rt, world, n, clock.now())
        q, s = sheet(world, n)
        async with rt.sessionmaker() as session:
            await work.save(session, world.seats[n], world.lot_id, q, s, now=clock.now(),
                               submit=True)  # fmt: skip
    async with rt.sessionmaker() as session:
        reasons = {f"{b}/tech": "S4-secret-reason" for b in world.bids.values()}
        await work.explain(session, world.seats[4], world.lot_id, reasons, now=clock.now())

    # Each expert: their own numbers, nobody else's — JSON and page.
    for n, name in enumerate(world.usernames):
        r = await client.get(
            f"/api/v1/expert/lots/{world.lot_id}", headers=await bearer(client, name)
        )
        assert r.status_code == 200 and set(marks(n)) <= set(leaked(r.text, [n]))
        assert leaked(r.text, [m for m in range(SEATS) if m != n]) == []
        client.cookies.clear()
        await web_login(client, name)
        page = await client.get(f"/expert/lots/{world.lot_id}", headers=HTML)
        assert page.status_code == 200 and marks(n)[0] in page.text and marks(n)[-1] in page.text
        assert leaked(page.text, [m for m in range(SEATS) if m != n]) == []
        client.cookies.clear()

    # Every route naming the lot (and every route naming nothing), for every other caller, and
    # for a seated expert (who may see their own numbers on their own desk only).
    paths = [p.replace("{lot_id:int}", str(world.lot_id)) for p in lot_routes(rt)]
    assert f"/lots/{world.lot_id}" in paths and f"/api/v1/audit/lots/{world.lot_id}" in paths
    assert f"/api/v1/lots/{world.lot_id}/evaluation" in paths
    callers: list[tuple[str, dict[str, str]]] = [("public", {})]
    callers += [(who, await bearer(client, who)) for who in (*OUTSIDERS, world.outsider.name)]
    callers.append((world.usernames[1], await bearer(client, world.usernames[1])))
    found: list[tuple[str, str, list[str]]] = []
    for who, head in callers:
        others = [m for m in range(SEATS) if who != world.usernames[1] or m != 1]
        for path in paths:
            accept = {} if path.startswith("/api/") else HTML
            r = await client.get(path, headers={**head, **accept})
            if r.headers.get("content-type", "").startswith("application/pdf"):
                continue  # compressed streams: the text is checked on the page it prints
            if leak := leaked(r.text, others):
                found.append((who, path, leak))
    assert found == []

    # The audit log holds no score, comment or deviation before finalising: its entries are
    # published (heads, proofs, the supervisors' API), so they must not carry them at all.
    async with rt.sessionmaker() as session:
        bodies = [str(e.body) for e in await session.scalars(select(AuditEntry))]
    assert [b for b in bodies if leaked(b, range(SEATS))] == []
    top = await bearer(client, "supervisor-450000")
    r = await client.get("/api/v1/audit/entries", params={"limit": 1000}, headers=top)
    assert r.status_code == 200 and leaked(r.text, range(SEATS)) == []

    # The hall's live stream: the public, a bidder and staff get the snapshot, no score.
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        for who in ("public", "bidder-1", "staff-450100"):
            head = {} if who == "public" else await bearer(http, who)
            async with http.stream("GET", f"/lots/{world.lot_id}/hall/events", headers=head) as r:
                assert r.status_code == 200
                first = await next_event(sse(r))
                assert first.kind == "snapshot" and leaked(first.raw, range(SEATS)) == []


async def test_experts_unnamed_in_the_public_audit_log_until_the_result(
    client: Client, rt: Runtime, clock: FixedClock, world: World
) -> None:
    """A lot's entries are public once it is opened, the experts' names only once the result
    is: what an expert does (declare, score, explain, finalise, sign) names the seat."""
    for n in range(SEATS):
        await declare(rt, world, n, clock.now())
        q, s = sheet(world, n)
        async with rt.sessionmaker() as session:
            await work.save(session, world.seats[n], world.lot_id, q, s, now=clock.now(),
                               submit=True)  # fmt: skip
    async with rt.sessionmaker() as session:
        reasons = {f"{b}/tech": "S4-secret-reason" for b in world.bids.values()}
        await work.explain(session, world.seats[4], world.lot_id, reasons, now=clock.now())
        await report.finalise(
            session, world.seats[0], world.lot_id, now=clock.now(), settings=rt.settings
        )
    async with rt.sessionmaker() as session:
        experts = list(
            await session.scalars(select(User).where(User.username.in_(world.usernames)))
        )
        entries = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action.like("scoring.%") | AuditEntry.action.like("evaluation.%")
                )
            )
        )
    names = [u.username for u in experts] + [u.display_name for u in experts]
    assert len(experts) == SEATS and len(entries) >= SEATS * 2 + 2
    assert {e.actor for e in entries} >= {f"expert:{world.lot_id}:1"}
    assert [e.actor for e in entries if any(x in e.actor or x in str(e.body) for x in names)] == []
    assert all(e.actor_id is None for e in entries)
    r = await client.get(f"/api/v1/audit/lots/{world.lot_id}")
    assert r.status_code == 200
    assert [x for x in names if x in r.text] == []
