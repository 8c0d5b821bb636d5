"""Editing and deleting draft projects (PUT/DELETE /api/v1/projects/{id}): drafts only, by the
center's staff (or the owning tenderer), audited, no orphan rows, and an edit racing a publish
never leaves a published lot with data that was not checked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from bidhall.demo import demo_uscc
from tests.support.clients import Client, bearer
from trading.announcements.models import Announcement
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Document, Lot, Project


def lot_body(now: datetime, *, days: int = 21, title: str = "第1标段") -> dict[str, Any]:
    return {
        "title": title,
        "budget": "9800000.00",
        "control_price": "9500000.00",
        "bid_security": "95000.00",
        "docs_issued_at": now.isoformat(),
        "bid_deadline": (now + timedelta(days=days)).isoformat(),
    }


def project_body(now: datetime, **changes: Any) -> dict[str, Any]:
    body = {
        "title": "草稿编辑测试工程",
        "category": "construction",
        "method": "open_tender",
        "tenderer_uscc": demo_uscc(1),
        "lots": [lot_body(now)],
    }
    return body | changes


async def register(client: Client, headers: dict[str, str], body: dict[str, Any]) -> Any:
    r = await client.post("/api/v1/projects", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def rows(rt: Runtime) -> tuple[int, int, int]:
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(Project.id))) or 0,
            await session.scalar(select(func.count(Lot.id))) or 0,
            await session.scalar(select(func.count(Document.id))) or 0,
        )


async def add_document(rt: Runtime, lot_id: int, clock: FixedClock) -> None:
    async with rt.sessionmaker() as session, session.begin():
        session.add(
            Document(
                lot_id=lot_id, name="招标文件.pdf", sha256="0" * 64, size=1, created_at=clock.now()
            )
        )


async def audit_actions(rt: Runtime, project_id: int) -> list[str]:
    async with rt.sessionmaker() as session:
        return list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_type == "project", AuditEntry.target_id == str(project_id))
                .order_by(AuditEntry.seq)
            )
        )


async def test_staff_edit_replaces_fields_and_lots_and_is_audited(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    staff = await bearer(client, "staff-450100")
    now = clock.now()
    project = await register(client, staff, project_body(now))
    body = project_body(
        now,
        title="改过的名称",
        location="南宁市青秀区",
        qualification="具备市政公用工程施工总承包二级及以上资质",
        contact_name="李工",
        contact_phone="0771-1234567",
        lots=[lot_body(now, days=25, title="第一标段（改）"), lot_body(now, title="第二标段")],
    )
    r = await client.put(f"/api/v1/projects/{project['id']}", json=body, headers=staff)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["code"] == project["code"] and out["title"] == "改过的名称"
    assert [(x["number"], x["title"]) for x in out["lots"]] == [
        (1, "第一标段（改）"),
        (2, "第二标段"),
    ]
    assert out["lots"][0]["id"] == project["lots"][0]["id"]  # lot 1 kept its id
    async with rt.sessionmaker() as session:
        stored = await session.get(Project, project["id"])
        assert stored is not None
        assert (stored.location, stored.contact_name, stored.contact_phone) == (
            "南宁市青秀区",
            "李工",
            "0771-1234567",
        )
        assert stored.qualification.startswith("具备市政")
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "project.update")
        )
        assert entry is not None
    assert await audit_actions(rt, project["id"]) == ["project.register", "project.update"]


async def test_edit_dropping_a_lot_deletes_it_and_its_documents(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    staff = await bearer(client, "staff-450100")
    now = clock.now()
    before = await rows(rt)
    project = await register(
        client, staff, project_body(now, lots=[lot_body(now), lot_body(now, title="第2标段")])
    )
    await add_document(rt, project["lots"][1]["id"], clock)
    r = await client.put(f"/api/v1/projects/{project['id']}", json=project_body(now), headers=staff)
    assert r.status_code == 200, r.text
    assert len(r.json()["lots"]) == 1
    assert await rows(rt) == (before[0] + 1, before[1] + 1, before[2])


async def test_delete_draft_leaves_no_orphans_and_never_reuses_the_code(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    staff = await bearer(client, "staff-450100")
    now = clock.now()
    before = await rows(rt)
    project = await register(
        client, staff, project_body(now, lots=[lot_body(now), lot_body(now, title="第2标段")])
    )
    await add_document(rt, project["lots"][0]["id"], clock)
    r = await client.delete(f"/api/v1/projects/{project['id']}", headers=staff)
    assert r.status_code == 204, r.text
    assert await rows(rt) == before
    assert (await client.get(f"/api/v1/projects/{project['id']}", headers=staff)).status_code == 404
    assert await audit_actions(rt, project["id"]) == ["project.register", "project.delete"]
    again = await register(client, staff, project_body(now))
    assert again["code"] != project["code"]
    assert int(again["code"].rsplit("-", 1)[1]) == int(project["code"].rsplit("-", 1)[1]) + 1


async def test_a_published_project_is_neither_edited_nor_deleted(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot(title="已发布项目")
    staff = await bearer(client, "staff-450100")
    body = project_body(clock.now(), title="不该写入")
    r = await client.put(f"/api/v1/projects/{lot.project_id}", json=body, headers=staff)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.delete(f"/api/v1/projects/{lot.project_id}", headers=staff)
    assert r.status_code == 409, r.text
    async with rt.sessionmaker() as session:
        project = await session.get(Project, lot.project_id)
        assert project is not None and project.title == "已发布项目"
    assert await audit_actions(rt, lot.project_id) == ["project.register"]


async def test_who_may_edit_or_delete(rt: Runtime, client: Client, clock: FixedClock) -> None:
    now = clock.now()
    project = await register(client, await bearer(client, "staff-450100"), project_body(now))
    url = f"/api/v1/projects/{project['id']}"
    body = project_body(now, title="越权修改")
    # Anonymous: 401; wrong role (bidder, supervisor): 403.
    assert (await client.put(url, json=body)).status_code == 401
    assert (await client.delete(url)).status_code == 401
    for who in ("bidder-1", "supervisor-450100"):
        headers = await bearer(client, who)
        assert (await client.put(url, json=body, headers=headers)).status_code == 403, who
        assert (await client.delete(url, headers=headers)).status_code == 403, who
    # Another center's staff cannot even see the draft (unpublished work is hidden: 404).
    other = await bearer(client, "staff-450200")
    assert (await client.put(url, json=body, headers=other)).status_code == 404
    assert (await client.delete(url, headers=other)).status_code == 404
    # Nor may an edit move the project to another center.
    staff = await bearer(client, "staff-450100")
    moved = project_body(now, center_code="450200")
    assert (await client.put(url, json=moved, headers=staff)).status_code == 422
    async with rt.sessionmaker() as session:
        stored = await session.get(Project, project["id"])
        assert stored is not None and stored.title == "草稿编辑测试工程"
    assert await audit_actions(rt, project["id"]) == ["project.register"]


async def test_edit_racing_publish_never_publishes_unchecked_data(
    rt: Runtime, clock: FixedClock, live_server: str
) -> None:
    """Real concurrent requests to the running server (the test client runs one at a time).
    The edit makes the plan unlawful (10 days to the deadline, 法 24 wants 20). Whichever
    request wins, a published lot must carry the checked, lawful deadline."""
    now = clock.now()
    outcomes: set[tuple[int, int]] = set()
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        staff = await bearer(http, "staff-450100")
        for _ in range(8):
            project = await register(http, staff, project_body(now))
            lot_id = project["lots"][0]["id"]
            lawful = datetime.fromisoformat(project["lots"][0]["bid_deadline"])
            publish, edit = await asyncio.gather(
                http.post(f"/api/v1/lots/{lot_id}/publish", headers=staff),
                http.put(
                    f"/api/v1/projects/{project['id']}",
                    json=project_body(now, lots=[lot_body(now, days=10)]),
                    headers=staff,
                ),
            )
            pair = (edit.status_code, publish.status_code)
            assert pair in {(200, 422), (409, 200)}, (pair, edit.text, publish.text)
            outcomes.add(pair)
            async with rt.sessionmaker() as session:
                lot = await session.get(Lot, lot_id)
                assert lot is not None
                if lot.state == "announced":
                    assert lot.bid_deadline == lawful.astimezone(UTC)
                    n = await session.scalar(
                        select(func.count(Announcement.id)).where(Announcement.lot_id == lot_id)
                    )
                    assert n == 1
                else:
                    assert lot.state == "draft"
                    assert lot.bid_deadline == now + timedelta(days=10)
    assert outcomes <= {(200, 422), (409, 200)}
