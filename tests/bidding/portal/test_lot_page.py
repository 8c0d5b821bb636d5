"""The public lot page: parties, contact, method, location and qualification; tender documents
with their digests; answered questions without the asker; the full timeline with the
amendments; the lot's announcements linking to their own pages."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update

from bidhall.demo import register
from tests.conftest import construction_plan
from tests.support.clients import Client, bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot, Project

HTML = {"Accept": "text/html"}


async def test_the_lot_page_shows_parties_documents_answers_and_amendments(
    client: Client, rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot(title="邕江大桥维修工程")
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(Project)
            .where(Project.id == lot.project_id)
            .values(
                location="南宁市青秀区邕江大桥",
                qualification="具备市政公用工程施工总承包二级及以上资质。",
                contact_name="李工",
                contact_phone="0771-5551234",
            )
        )
    staff = await bearer(client, "staff-450100")
    body = b"%PDF-1.7 bridge tender documents " * 300
    up = await client.post(
        f"/api/v1/lots/{lot.id}/documents",
        content=body,
        headers={**staff, "x-file-name": quote("招标文件.pdf"), "content-type": "application/pdf"},
    )
    assert up.status_code == 201, up.text
    bidder = await bearer(client, "bidder-1")
    assert (
        await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    ).status_code == 200
    clock.advance(timedelta(hours=1))
    asked = await client.post(
        f"/api/v1/lots/{lot.id}/questions", json={"text": "工期能否延长至200天？"}, headers=bidder
    )
    unanswered = await client.post(
        f"/api/v1/lots/{lot.id}/questions", json={"text": "尚未答复的问题"}, headers=bidder
    )
    assert asked.status_code == unanswered.status_code == 201
    clock.advance(timedelta(hours=1))
    answered = await client.post(
        f"/api/v1/questions/{asked.json()['id']}/answer",
        json={"text": "工期以招标文件为准，不予调整。"},
        headers=staff,
    )
    assert answered.status_code == 200, answered.text
    clock.advance(timedelta(hours=1))
    amended = await client.post(
        f"/api/v1/lots/{lot.id}/amendments",
        json={
            "title": "关于工程量清单的澄清",
            "body": "第5项数量更正为120。",
            "affects_bids": False,
        },
        headers=staff,
    )
    assert amended.status_code == 201, amended.text

    page = await client.get(f"/lots/{lot.id}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    # Parties, contact, method, location and qualification.
    assert '<dd id="lot-tenderer">广西交通投资建设集团有限公司</dd>' in text
    assert '<dd id="lot-method">公开招标</dd>' in text
    assert "南宁市青秀区邕江大桥" in text and "市政公用工程施工总承包二级" in text
    assert "李工" in text and "0771-5551234" in text
    # The document: name, size, digest and its download link.
    digest = hashlib.sha256(body).hexdigest()
    doc_id = up.json()["id"]
    assert "招标文件.pdf" in text and digest in text and f"{len(body):,} B" in text
    assert f'href="/api/v1/documents/{doc_id}"' in text
    # The answered question and its answer, never the asker; no unanswered question.
    assert "工期能否延长至200天？" in text and "工期以招标文件为准，不予调整。" in text
    assert "尚未答复的问题" not in text and "广西路桥工程集团有限公司" not in text
    # The amendment: in the lot's announcements and in the timeline, linking to its page.
    notices = re.findall(r'data-announcement-id="(\d+)"', text)
    assert len(notices) == 2  # the tender notice and the amendment
    assert "关于工程量清单的澄清" in text and "第5项数量更正为120。" in text
    history = text.split('id="history"')[1]
    assert "澄清/修改" in history and "发布招标公告" in history
    assert all(f'href="/announcements/{n}"' in history for n in notices)
    # In order of time: the tender notice, the amendment event and notice last.
    assert history.index("发布招标公告") < history.index("澄清/修改")
    assert history.index(f"/announcements/{notices[0]}") < history.index(
        f"/announcements/{notices[1]}"
    )


async def test_a_draft_lot_page_is_not_public(
    client: Client, rt: Runtime, clock: FixedClock
) -> None:
    project_id = await register(
        rt,
        construction_plan(title="草稿"),
        issued=clock.now(),
        deadline=clock.now() + timedelta(days=21),
    )
    async with rt.sessionmaker() as session:
        lot_id = await session.scalar(select(Lot.id).where(Lot.project_id == project_id))
    assert (await client.get(f"/lots/{lot_id}", headers=HTML)).status_code == 404
    other_center = await bearer(client, "staff-450200")
    assert (await client.get(f"/lots/{lot_id}", headers={**HTML, **other_center})).status_code in (
        403,
        404,
    )
    own = await bearer(client, "staff-450100")
    assert (await client.get(f"/lots/{lot_id}", headers={**HTML, **own})).status_code == 200
