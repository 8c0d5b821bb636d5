"""The lot desk's documents and questions tabs: staff act, supervisors read, others are refused;
a refused upload, amendment or answer re-renders the tab with its message and writes nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bidding.participation.models import Notice, Question
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.support.clients import Client, bearer
from trading.announcements.models import Announcement
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Document, Lot

HTML = {"Accept": "text/html"}


def blob_count(rt: Runtime) -> int:
    return sum(1 for p in rt.settings.blob_dir.rglob("*") if p.is_file())


async def counts(rt: Runtime) -> tuple[int, ...]:
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(Document.id))) or 0,
            await session.scalar(select(func.count(Announcement.id))) or 0,
            await session.scalar(select(func.count(Notice.id))) or 0,
            await session.scalar(
                select(func.count(AuditEntry.seq)).where(AuditEntry.target_type == "lot")
            )
            or 0,
            blob_count(rt),
        )


async def signed_in(client: Client, username: str, path: str) -> str:
    """Sign in through the form and open `path`; its CSRF token."""
    client.cookies.clear()
    await web_login(client, username)
    r = await client.get(path, headers=HTML)
    assert r.status_code == 200, r.text[-2000:]
    return csrf_of(r.text)


async def test_staff_upload_lists_size_and_digest(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot(title="文件标签页测试工程")
    path = f"/center/lots/{lot.id}/documents"
    csrf = await signed_in(client, "staff-450100", path)
    body = b"%PDF-1.7 tender documents" * 100
    r = await client.post(
        path,
        data={"_csrf": csrf},
        files={"file": ("招标文件.pdf", body, "application/pdf")},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=uploaded")
    page = await client.get(r.headers["location"], headers=HTML)
    assert "招标文件.pdf" in page.text
    assert hashlib.sha256(body).hexdigest() in page.text
    assert f"{len(body):,}" in page.text
    assert 'aria-current="page"' in page.text and "desk.tab" not in page.text


async def test_invalid_uploads_rerender_and_write_nothing(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot()
    path = f"/center/lots/{lot.id}/documents"
    csrf = await signed_in(client, "staff-450100", path)
    before = await counts(rt)
    no_file = await client.post(
        path,
        data={"_csrf": csrf},
        files={"file": ("", b"", "application/octet-stream")},
        headers=HTML,
    )
    assert no_file.status_code == 422 and 'id="file-error"' in no_file.text
    bad_name = await client.post(
        path,
        data={"_csrf": csrf},
        files={"file": ("a/b?.pdf", b"x" * 10, "application/pdf")},
        headers=HTML,
    )
    assert bad_name.status_code == 422 and "invalid document name" in bad_name.text
    assert 'id="upload-form"' in bad_name.text  # the form is back, with the message by it
    forged = await client.post(
        path,
        data={"_csrf": "forged"},
        files={"file": ("ok.pdf", b"x", "application/pdf")},
        headers=HTML,
    )
    assert forged.status_code == 403
    clock.set(lot.bid_deadline)
    csrf = await signed_in(client, "staff-450100", path)  # three weeks on: a new session
    late = await client.post(
        path,
        data={"_csrf": csrf},
        files={"file": ("late.pdf", b"late", "application/pdf")},
        headers=HTML,
    )
    assert late.status_code == 409 and "frozen after the deadline" in late.text
    assert await counts(rt) == before


async def test_amendment_form_shows_the_rule_and_moves_the_deadline(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot(enrol=())  # bidder-1 alone registers below
    path = f"/center/lots/{lot.id}/documents"
    registered = await bearer(client, "bidder-1")
    await client.post(f"/api/v1/lots/{lot.id}/registration", headers=registered)
    await signed_in(client, "staff-450100", path)
    # 21 days ahead: an amendment now leaves the 15-day period intact.
    page = await client.get(path, headers=HTML)
    assert "招标投标法 第23条" in page.text and 'id="in-time"' in page.text
    clock.set(lot.bid_deadline - timedelta(days=5))
    await signed_in(client, "staff-450100", path)
    page = await client.get(path, headers=HTML)
    assert 'id="must-move"' in page.text
    csrf = csrf_of(page.text)

    before = await counts(rt)
    earlier = (
        (lot.bid_deadline - timedelta(days=1))
        .astimezone(ZoneInfo("Asia/Shanghai"))
        .strftime("%Y-%m-%dT%H:%M")
    )
    refused = [
        ({"title": "x"}, 422, 'id="title-error"'),
        ({"title": "提前截止", "new_deadline": "not a date"}, 422, 'id="new_deadline-error"'),
        ({"title": "提前截止", "new_deadline": earlier}, 422, "cannot move earlier"),
    ]
    for fields, status, marker in refused:
        r = await client.post(
            f"/center/lots/{lot.id}/amendments",
            data={"_csrf": csrf, "affects_bids": "on", **fields},
            files={"attachment": ("补充.pdf", b"attachment bytes", "application/pdf")},
            headers=HTML,
        )
        assert r.status_code == status, (fields, r.text[-1500:])
        assert marker in r.text, fields
        assert 'value="' + fields["title"] + '"' in r.text  # what was typed stays in the form
    assert await counts(rt) == before

    attachment = b"revised bill of quantities"
    r = await client.post(
        f"/center/lots/{lot.id}/amendments",
        data={
            "_csrf": csrf,
            "title": "关于工程量清单的修改",
            "body": "第3章",
            "affects_bids": "on",
        },
        files={"attachment": ("工程量清单修改.xlsx", attachment, "application/vnd.ms-excel")},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=moved")
    async with rt.sessionmaker() as session:
        moved = await session.get(Lot, lot.id)
        docs = list(await session.scalars(select(Document).where(Document.lot_id == lot.id)))
        notes = list(await session.scalars(select(Notice.kind)))
    assert moved is not None and moved.bid_deadline >= clock.now() + timedelta(days=15)
    assert [d.name for d in docs] == ["工程量清单修改.xlsx"]
    assert notes == ["amendment"]
    page = await client.get(path, headers=HTML)
    assert "关于工程量清单的修改" in page.text
    assert hashlib.sha256(attachment).hexdigest() in page.text  # cited in the announcement


async def test_questions_tab_answers_without_naming_the_asker(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    bidder = await bearer(client, "bidder-1")
    await client.post(f"/api/v1/lots/{lot.id}/registration", headers=bidder)
    asked = await client.post(
        f"/api/v1/lots/{lot.id}/questions", json={"text": "工期是否可以调整？"}, headers=bidder
    )
    qid = asked.json()["id"]
    path = f"/center/lots/{lot.id}/questions"
    csrf = await signed_in(client, "staff-450100", path)
    page = await client.get(path, headers=HTML)
    assert "工期是否可以调整？" in page.text and 'id="unanswered">1<' in page.text
    assert "南宁建工" not in page.text  # the asker's organization is never shown

    before = await counts(rt)
    short = await client.post(
        f"{path}/{qid}/answer", data={"_csrf": csrf, "text": "否"}, headers=HTML
    )
    assert short.status_code == 422 and f'id="answer-error-{qid}"' in short.text
    assert await counts(rt) == before
    ok = await client.post(
        f"{path}/{qid}/answer",
        data={"_csrf": csrf, "text": "工期不可调整。"},
        headers=HTML,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    async with rt.sessionmaker() as session:
        question = await session.get(Question, qid)
    assert question is not None and question.answer == "工期不可调整。"
    again = await client.post(
        f"{path}/{qid}/answer", data={"_csrf": csrf, "text": "改为可以调整。"}, headers=HTML
    )
    assert again.status_code == 409
    async with rt.sessionmaker() as session:
        question = await session.get(Question, qid)
    assert question is not None and question.answer == "工期不可调整。"


async def test_who_may_open_and_act_on_the_tabs(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    lot = await publish_lot()
    docs, questions = f"/center/lots/{lot.id}/documents", f"/center/lots/{lot.id}/questions"
    anonymous = await client.get(docs, headers=HTML, follow_redirects=False)
    assert anonymous.status_code in (401, 303)
    before = await counts(rt)
    # A supervisor of the lot's center (and the province's, above it) reads; no forms.
    for supervisor in ("supervisor-450100", "supervisor-450000"):
        csrf = await signed_in(client, supervisor, docs)
        page = await client.get(docs, headers=HTML)
        assert 'id="readonly"' in page.text
        assert 'id="upload-form"' not in page.text and 'id="amend-form"' not in page.text
        r = await client.post(
            docs,
            data={"_csrf": csrf},
            files={"file": ("s.pdf", b"s", "application/pdf")},
            headers=HTML,
        )
        assert r.status_code == 403
        assert (await client.get(questions, headers=HTML)).status_code == 200
    # Staff of another center, a bidder: refused outright.
    for outsider in ("staff-450200", "staff-450102", "bidder-1", "custodian-450100-1"):
        client.cookies.clear()
        await web_login(client, outsider)
        for path in (docs, questions):
            assert (await client.get(path, headers=HTML)).status_code == 403, (outsider, path)
    client.cookies.clear()
    csrf = await signed_in(client, "staff-450100", docs)
    client.cookies.clear()
    await web_login(client, "staff-450200")
    other = await client.get(f"/center/lots/{lot.id}/documents", headers=HTML)
    assert other.status_code == 403
    assert await counts(rt) == before
