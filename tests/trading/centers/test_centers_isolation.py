"""Isolation as attacks: staff of one center against another center's projects and lots,
through every route that reads or changes them; supervisors within their subtree only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bidding.opening.models import ReleasedShare
from bidhall.demo import LotPlanDemo, demo_uscc, register
from evaluation.award.models import EvaluationResult
from tests.support.clients import Client
from tests.trading.centers.conftest import actor, lot_state, open_all, token
from trading.announcements.models import Announcement
from trading.audit.models import AuditEntry
from trading.enums import Category, LotState, Method
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects import service as projects
from trading.projects.models import Lot


@dataclass
class Targets:
    draft_lot: int  # 450100, never published
    draft_project: int
    opened_lot: int  # 450100, opened: ready to be evaluated by its own staff
    announced_lot: int  # 450100, bids open
    county_draft_project: int  # 450102
    liuzhou_draft_project: int  # 450200


async def draft(rt: Runtime, clock: FixedClock, center: str) -> tuple[int, int]:
    plan = LotPlanDemo(
        center=center,
        title=f"未发布项目 {center}",
        lot_title="第1标段",
        category=Category.CONSTRUCTION,
        method=Method.OPEN_TENDER,
        budget=Decimal("9800000.00"),
        control_price=Decimal("9500000.00"),
        prices={},
    )
    project_id = await register(
        rt, plan, issued=clock.now(), deadline=clock.now() + timedelta(days=21)
    )
    async with rt.sessionmaker() as session:
        lot_id = await session.scalar(select(Lot.id).where(Lot.project_id == project_id))
    assert lot_id is not None
    return project_id, lot_id


@pytest.fixture
async def targets(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> Targets:
    draft_project, draft_lot = await draft(rt, clock, "450100")
    county_project, _ = await draft(rt, clock, "450102")
    liuzhou_project, _ = await draft(rt, clock, "450200")
    opened = await publish_lot(center="450100", title="已开标项目")
    await bid(opened)
    clock.advance(timedelta(days=1))
    announced = await publish_lot(center="450100", title="招标中项目")
    await open_all(rt, clock, [opened])
    assert await lot_state(rt, opened.id) == LotState.OPENED
    return Targets(
        draft_lot, draft_project, opened.id, announced.id, county_project, liuzhou_project
    )


async def snapshot(rt: Runtime, t: Targets) -> tuple[Any, ...]:
    async with rt.sessionmaker() as session:
        states = [
            await lot_state(rt, lot_id) for lot_id in (t.draft_lot, t.opened_lot, t.announced_lot)
        ]
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (EvaluationResult, ReleasedShare, Announcement)
        ]
    return (*states, *counts)


ATTACKERS = ["staff-450200", "staff-450102", "staff-450000"]


@pytest.mark.parametrize("attacker", ATTACKERS)
async def test_other_centers_staff_cannot_read_or_change(
    rt: Runtime, client: Client, targets: Targets, attacker: str
) -> None:
    """Neither a sibling city, nor the county below, nor the province above may act."""
    t = targets
    headers = await token(client, attacker)
    before = await snapshot(rt, t)
    reads = [
        f"/api/v1/projects/{t.draft_project}",
        f"/api/v1/audit/lots/{t.draft_lot}",
        f"/api/v1/lots/{t.draft_lot}/opening",
        f"/api/v1/lots/{t.draft_lot}/evaluation",
        f"/lots/{t.draft_lot}",
    ]
    for path in reads:
        r = await client.get(path, headers=headers)
        assert r.status_code == 404, (path, r.status_code, r.text)
    # Drafts are refused as absent; published lots as forbidden.
    writes = [
        (f"/api/v1/lots/{t.draft_lot}/publish", None, 404),
        (f"/api/v1/lots/{t.draft_lot}/cancel", {"reason": "攻击测试"}, 404),
        (f"/api/v1/lots/{t.draft_lot}/evaluate", None, 404),
        (f"/api/v1/lots/{t.announced_lot}/publish", None, 403),
        (f"/api/v1/lots/{t.announced_lot}/cancel", {"reason": "攻击测试"}, 403),
        (f"/api/v1/lots/{t.opened_lot}/cancel", {"reason": "攻击测试"}, 403),
        (f"/api/v1/lots/{t.opened_lot}/evaluate", None, 403),
        (f"/api/v1/lots/{t.opened_lot}/candidates", None, 403),
        (f"/api/v1/lots/{t.opened_lot}/award", None, 403),
        (f"/api/v1/lots/{t.opened_lot}/opening", None, 403),
    ]
    for path, body, status in writes:
        r = await client.post(path, json=body, headers=headers)
        assert r.status_code == status, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # Center-scoped listings: no drafts of another center, no supervision reads for staff.
    r = await client.get("/api/v1/centers/450100/lots", headers=headers)
    assert r.status_code == 200
    assert t.draft_lot not in {row["id"] for row in r.json()}
    for path in ("/api/v1/centers/450100/bids", "/api/v1/centers/450100/audit"):
        assert (await client.get(path, headers=headers)).status_code == 403
    assert await snapshot(rt, t) == before


async def test_own_staff_can_do_what_attackers_cannot(
    rt: Runtime, client: Client, targets: Targets
) -> None:
    """The refusals above are about the center, not the routes: the owner succeeds."""
    t = targets
    headers = await token(client, "staff-450100")
    assert (await client.get(f"/api/v1/projects/{t.draft_project}", headers=headers)).is_success
    r = await client.get("/api/v1/centers/450100/lots", headers=headers)
    assert t.draft_lot in {row["id"] for row in r.json()}
    r = await client.post(f"/api/v1/lots/{t.opened_lot}/evaluate", headers=headers)
    assert r.status_code == 200, r.text
    assert await lot_state(rt, t.opened_lot) == LotState.EVALUATED


async def test_staff_cannot_register_into_another_center(rt: Runtime, client: Client) -> None:
    headers = await token(client, "staff-450200")
    now = rt.clock.now()
    body = {
        "title": "越权登记",
        "category": "construction",
        "method": "open_tender",
        "tenderer_uscc": demo_uscc(1),
        "center_code": "450100",
        "lots": [
            {
                "title": "1",
                "budget": "100.00",
                "docs_issued_at": now.isoformat(),
                "bid_deadline": (now + timedelta(days=21)).isoformat(),
            }
        ],
    }
    r = await client.post("/api/v1/projects", json=body, headers=headers)
    assert r.status_code == 403, r.text


@pytest.mark.parametrize(
    ("supervisor", "sees"),
    [
        ("supervisor-450000", {"450100", "450102", "450200"}),
        ("supervisor-450100", {"450100", "450102"}),
    ],
)
async def test_supervisor_reads_its_subtree_drafts_only(
    client: Client, targets: Targets, supervisor: str, sees: set[str]
) -> None:
    t = targets
    headers = await token(client, supervisor)
    projects = {
        "450100": t.draft_project,
        "450102": t.county_draft_project,
        "450200": t.liuzhou_draft_project,
    }
    for center, project_id in projects.items():
        r = await client.get(f"/api/v1/projects/{project_id}", headers=headers)
        assert r.status_code == (200 if center in sees else 404), (center, r.text)
        r = await client.get(f"/api/v1/centers/{center}/lots", headers=headers)
        ids = {row["project_id"] for row in r.json()}
        assert (project_id in ids) == (center in sees), center
        for kind in ("bids", "audit"):
            r = await client.get(f"/api/v1/centers/{center}/{kind}", headers=headers)
            assert r.status_code == (200 if center in sees else 403), (center, kind, r.text)
    # Reading is all a supervisor does: it cannot publish or cancel.
    r = await client.post(f"/api/v1/lots/{t.draft_lot}/publish", headers=headers)
    assert r.status_code == 403


async def test_supervisor_sees_bid_metadata_and_audit_of_its_subtree(
    rt: Runtime, client: Client, targets: Targets
) -> None:
    headers = await token(client, "supervisor-450100")
    r = await client.get(
        "/api/v1/centers/450100/bids", params={"lot_id": targets.opened_lot}, headers=headers
    )
    assert r.status_code == 200
    rows = r.json()
    assert len(rows) == 3 and {row["center"] for row in rows} == {"450100"}
    # Opened: prices were decrypted and are part of the public opening record anyway.
    assert all(row["status"] == "decrypted" and row["price"] for row in rows)
    r = await client.get("/api/v1/centers/450100/audit", headers=headers)
    entries = r.json()
    assert entries and {e["center"] for e in entries} <= {"450100", "450102"}
    assert any(e["center"] == "450102" for e in entries)  # the county's registration
    async with rt.sessionmaker() as session:
        foreign = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.center_id.is_(None))
        )
    assert foreign  # entries without a center (key registrations) exist but are not shown
    assert all(e["center"] is not None for e in entries)


async def test_announced_bids_are_metadata_only(
    client: Client, targets: Targets, bid: Any, rt: Runtime
) -> None:
    async with rt.sessionmaker() as session:
        lot = await projects.get_lot(
            session, targets.announced_lot, await actor(rt, "staff-450100")
        )
    await bid(lot, {"bidder-4": "1234567.00"})
    headers = await token(client, "supervisor-450000")
    r = await client.get("/api/v1/centers/450100/bids", params={"lot_id": lot.id}, headers=headers)
    [row] = r.json()
    assert (
        row["status"] == "active" and row["price"] is None and len(row["ciphertext_sha256"]) == 64
    )
