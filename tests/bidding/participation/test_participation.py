"""Registration, tender documents, questions, amendments that move the deadline, bid security."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from bidding.participation.models import Notice
from tests.support.clients import Client, app_client, bearer
from trading.announcements.models import Announcement
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Document, Lot


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[Client]:
    # Scheduler on, so amendments can be seen moving the opening job.
    async with app_client(rt, run_scheduler=True) as c:
        yield c


async def upload_doc(
    client: Client, lot_id: int, name: str, body: bytes, headers: dict[str, str]
) -> Any:
    return await client.post(
        f"/api/v1/lots/{lot_id}/documents",
        content=body,
        headers={**headers, "x-file-name": quote(name), "content-type": "application/pdf"},
    )


def blob_count(rt: Runtime) -> int:
    return sum(1 for p in rt.settings.blob_dir.rglob("*") if p.is_file())


async def test_registration_rules(client: Client, clock: FixedClock, publish_lot: Any) -> None:
    lot = await publish_lot(enrol=())
    bidder = await bearer(client, "bidder-1")
    first = await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    again = await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    staff = await bearer(client, "staff-450100")
    assert (
        await client.post(f"/api/v1/lots/{lot.id}/registration", headers=staff)
    ).status_code == 403
    clock.set(lot.bid_deadline)
    late = await client.post(
        f"/api/v1/lots/{lot.id}/registration", headers=await bearer(client, "bidder-2")
    )
    assert late.status_code == 409 and "closed" in late.json()["detail"]


async def test_documents_upload_list_and_guarded_download(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    staff = await bearer(client, "staff-450100")
    body = b"%PDF-1.7 tender documents " * 1000
    r = await upload_doc(client, lot.id, "招标文件（第1标段）.pdf", body, staff)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["sha256"] == hashlib.sha256(body).hexdigest() and doc["size"] == len(body)
    listed = (await client.get(f"/api/v1/lots/{lot.id}/documents")).json()
    assert [d["name"] for d in listed] == ["招标文件（第1标段）.pdf"]
    # The public and unregistered bidders see the digest but cannot download.
    assert (await client.get(f"/api/v1/documents/{doc['id']}")).status_code == 403
    bidder = await bearer(client, "bidder-1")
    assert (await client.get(f"/api/v1/documents/{doc['id']}", headers=bidder)).status_code == 403
    await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    got = await client.get(f"/api/v1/documents/{doc['id']}", headers=bidder)
    assert got.status_code == 200 and got.content == body
    assert got.headers["x-content-sha256"] == doc["sha256"]


@pytest.mark.parametrize("name", ["", "../etc/passwd", ".hidden", "a" * 256])
async def test_bad_document_names_leave_nothing(
    rt: Runtime, client: Client, publish_lot: Any, name: str
) -> None:
    lot = await publish_lot(enrol=())
    before = blob_count(rt)
    r = await upload_doc(client, lot.id, name, b"x" * 10, await bearer(client, "staff-450100"))
    assert r.status_code == 422 and "name" in r.json()["detail"]
    assert blob_count(rt) == before


async def test_documents_frozen_after_deadline(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    staff = await bearer(client, "staff-450100")
    clock.set(lot.bid_deadline)
    before = blob_count(rt)
    r = await upload_doc(client, lot.id, "late.pdf", b"late", staff)
    assert r.status_code == 409
    assert blob_count(rt) == before
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count(Document.id))) == 0


async def test_questions_answered_publicly_without_asker(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    bidder = await bearer(client, "bidder-1")
    other = await bearer(client, "bidder-2")
    r = await client.post(
        f"/api/v1/lots/{lot.id}/questions", json={"text": "工期是否可以调整？"}, headers=bidder
    )
    assert r.status_code == 403  # not registered yet
    for headers in (bidder, other):
        await client.post(f"/api/v1/lots/{lot.id}/registration", headers=headers)
    r = await client.post(
        f"/api/v1/lots/{lot.id}/questions", json={"text": "工期是否可以调整？"}, headers=bidder
    )
    assert r.status_code == 201
    question_id = r.json()["id"]
    assert (await client.get(f"/api/v1/lots/{lot.id}/questions")).json() == []
    staff = await bearer(client, "staff-450100")
    r = await client.post(
        f"/api/v1/questions/{question_id}/answer", json={"text": "工期不可调整。"}, headers=staff
    )
    assert r.status_code == 200
    public = (await client.get(f"/api/v1/lots/{lot.id}/questions")).json()
    assert public[0]["answer"] == "工期不可调整。"
    assert "bidder" not in str(public) and "asker" not in str(public)
    notices = (await client.get("/api/v1/me/notices", headers=other)).json()
    assert [n["kind"] for n in notices] == ["clarification"]


async def test_an_answer_is_never_overwritten_even_by_a_racing_one(
    client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    bidder = await bearer(client, "bidder-1")
    await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    r = await client.post(
        f"/api/v1/lots/{lot.id}/questions", json={"text": "是否接受联合体？"}, headers=bidder
    )
    url = f"/api/v1/questions/{r.json()['id']}/answer"
    staff = await bearer(client, "staff-450100")
    first, second = await asyncio.gather(
        client.post(url, json={"text": "接受联合体投标。"}, headers=staff),
        client.post(url, json={"text": "不接受联合体投标。"}, headers=staff),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = (first if first.status_code == 200 else second).json()["answer"]
    public = (await client.get(f"/api/v1/lots/{lot.id}/questions")).json()
    assert [q["answer"] for q in public] == [winner]
    late = await client.post(url, json={"text": "更正：接受。"}, headers=staff)
    assert late.status_code == 409
    notices = (await client.get("/api/v1/me/notices", headers=bidder)).json()
    assert [n["kind"] for n in notices] == ["clarification"]  # one answer, one notice


async def test_late_amendment_moves_deadline_and_opening_job(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    # APScheduler runs on wall time: put this lot's deadline in the real future.
    clock.set(datetime.now(UTC))
    lot = await publish_lot(enrol=())
    bidder = await bearer(client, "bidder-1")
    await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    clock.set(lot.bid_deadline - timedelta(days=5))  # 5 days before: inside the 15-day window
    staff = await bearer(client, "staff-450100")
    r = await client.post(
        f"/api/v1/lots/{lot.id}/amendments",
        json={"title": "关于工程量清单的修改", "body": "第3章工程量调整。", "affects_bids": True},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["deadline_moved"] is True
    async with rt.sessionmaker() as session:
        moved = await session.get(Lot, lot.id)
        kinds = list(
            await session.scalars(select(Announcement.kind).where(Announcement.lot_id == lot.id))
        )
        notes = list(await session.scalars(select(Notice.kind)))
    assert moved is not None and moved.bid_deadline >= clock.now() + timedelta(days=15)
    assert "amendment" in kinds and notes == ["amendment"]
    scheduler = client.app.state.rt.scheduler
    assert scheduler is not None
    job = scheduler.aps.get_job(f"lot:{lot.id}:open")
    assert job is not None and job.next_run_time == moved.bid_deadline


async def test_amendments_that_do_not_move_and_bad_ones(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())
    staff = await bearer(client, "staff-450100")
    clock.advance(timedelta(days=1))  # 20 days ahead: outside the 15-day window
    r = await client.post(
        f"/api/v1/lots/{lot.id}/amendments",
        json={"title": "澄清", "affects_bids": True},
        headers=staff,
    )
    assert r.json()["deadline_moved"] is False
    earlier = (lot.bid_deadline - timedelta(days=1)).isoformat()
    r = await client.post(
        f"/api/v1/lots/{lot.id}/amendments",
        json={"title": "提前", "new_deadline": earlier},
        headers=staff,
    )
    assert r.status_code == 422 and "earlier" in r.json()["detail"]
    bidder = await bearer(client, "bidder-1")
    r = await client.post(
        f"/api/v1/lots/{lot.id}/amendments", json={"title": "伪造"}, headers=bidder
    )
    assert r.status_code == 403


async def test_bid_security_checks_requirement_and_cap(client: Client, publish_lot: Any) -> None:
    # Required 95,000.00 (1% of the 9.5M control price); cap 2% = 190,000.
    lot = await publish_lot(enrol=())
    assert lot.bid_security == Decimal("95000.00")
    bidder = await bearer(client, "bidder-1")
    url = f"/api/v1/lots/{lot.id}/security"
    body = {"amount": "95000.00", "form": "guarantee", "reference": "保函 BG-2026-001"}
    assert (await client.put(url, json=body, headers=bidder)).status_code == 403  # not registered
    await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    low = await client.put(url, json={**body, "amount": "94999.99"}, headers=bidder)
    assert low.status_code == 422 and "required" in low.json()["detail"]
    high = await client.put(url, json={**body, "amount": "190000.01"}, headers=bidder)
    assert high.status_code == 422 and "条例" in high.json()["detail"]
    odd = await client.put(url, json={**body, "form": "bitcoin"}, headers=bidder)
    assert odd.status_code == 422
    ok = await client.put(url, json=body, headers=bidder)
    assert ok.status_code == 200 and ok.json()["amount"] == "95000.00"
