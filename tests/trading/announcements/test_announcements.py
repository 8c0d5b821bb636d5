"""Announcements as records: every transition the law makes public produces its announcement in
the transition's transaction, with the right reason and citation; drafts and sandbox projects'
announcements are never public; a failed request announces nothing.

Too few bids at the deadline and too few valid bids after evaluation are different facts
under different articles (法 28 / 条例 44 vs 法 42): the tests tell them apart.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bidding.participation import amendments
from bidding.queries import opening_record
from bidhall.demo import register
from crypto.canonical import canonical_json
from evaluation.award import service as evaluation
from tests.conftest import construction_plan
from tests.support.clients import Client, bearer
from tests.trading.centers.conftest import actor, award_all, open_all
from trading.announcements import builders
from trading.announcements.models import Announcement, AnnouncementKind, AwardLetter
from trading.audit.models import AuditEntry
from trading.enums import Category, LotState
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from trading.kernel.present import capital, when, yuan
from trading.kernel.runtime import Runtime
from trading.projects import publishing
from trading.projects import service as projects
from trading.projects.models import Lot

HTML = {"Accept": "text/html"}
TZ = "Asia/Shanghai"


async def of_lot(rt: Runtime, lot_id: int, kind: AnnouncementKind | None = None) -> list[Any]:
    async with rt.sessionmaker() as session:
        stmt = select(Announcement).where(Announcement.lot_id == lot_id).order_by(Announcement.id)
        if kind is not None:
            stmt = stmt.where(Announcement.kind == kind.value)
        return list((await session.scalars(stmt)).all())


async def only(rt: Runtime, lot_id: int, kind: AnnouncementKind) -> Announcement:
    rows = await of_lot(rt, lot_id, kind)
    assert len(rows) == 1, [r.kind for r in rows]
    assert rows[0].state == "published" and rows[0].published_at is not None
    return rows[0]


async def count_all(rt: Runtime) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Announcement)) or 0)


async def test_publishing_announces_the_tender_from_the_lots_data(
    rt: Runtime, publish_lot: Any
) -> None:
    lot = await publish_lot(title="青秀区道路工程")
    ann = await only(rt, lot.id, AnnouncementKind.TENDER)
    async with rt.sessionmaker() as session:
        project = await projects.get_project(
            session, lot.project_id, await actor(rt, "staff-450100")
        )
        publish = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "announcement.publish", AuditEntry.target_id == str(ann.id)
            )
        )
    assert ann.title == "青秀区道路工程 第1标段 招标公告"
    assert ann.citation == "招标投标法 第16条；招标投标法实施条例 第15条"
    assert project.code in ann.html and "招标投标法 第16条" in ann.html
    # The one money format, capital numerals, the one date format in the center's zone.
    assert yuan(Decimal("9800000.00")) == "9,800,000.00" and "9,800,000.00" in ann.html
    assert capital(Decimal("9500000.00")) in ann.html
    assert when(lot.bid_deadline, TZ) in ann.html
    assert "T" + lot.bid_deadline.isoformat().split("T")[1] not in ann.html  # no raw ISO time
    # The record's digest is in the audit log that published it.
    assert ann.sha256 == hashlib.sha256(ann.html.encode()).hexdigest()
    assert publish is not None and ann.sha256 in publish.body


async def test_an_amendment_announces_itself_and_the_moved_deadline(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=10))  # 11 days before the deadline: a late amendment moves it
    staff = await actor(rt, "staff-450100")
    async with rt.sessionmaker() as session:
        moved, old = await amendments.amend(
            session,
            lot.id,
            staff,
            title="工程量清单更正",
            body="第3章工程量清单第12项数量更正为1200米。",
            affects_bids=True,
            new_deadline=None,
            clock=clock,
            settings=rt.settings,
        )
    assert old is not None and moved.bid_deadline > old
    ann = await only(rt, lot.id, AnnouncementKind.AMENDMENT)
    assert "工程量清单更正" in ann.title
    assert ann.citation == "招标投标法 第23条；招标投标法实施条例 第21条"
    assert "第12项数量更正为1200米" in ann.html
    assert f"由 {when(old, TZ)} 变更为 {when(moved.bid_deadline, TZ)}" in ann.html


async def test_too_few_bids_at_the_deadline_is_announced_with_law_28(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot, {"bidder-1": "9100000.00", "bidder-2": "8950000.00"})
    states = await open_all(rt, clock, [lot])
    assert states[lot.id] == LotState.FAILED
    ann = await only(rt, lot.id, AnnouncementKind.FAILURE)  # published, not a forgotten draft
    assert ann.citation == "招标投标法 第28条；招标投标法实施条例 第44条"
    assert "投标人为2个" in ann.reason and "投标人少于3个" in ann.reason
    assert "不予开标" in ann.reason and "否决" not in ann.reason
    assert ann.facts["failure"] == {"stage": "deadline", "bids": 2, "minimum": 3}


async def test_too_few_valid_bids_after_evaluation_is_a_different_announcement(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    # Three bids opened; one is above the control price (9,500,000.00) and is rejected.
    await bid(lot, {"bidder-1": "9100000.00", "bidder-2": "8950000.00", "bidder-3": "9600000.00"})
    assert (await open_all(rt, clock, [lot]))[lot.id] == LotState.OPENED
    staff = await actor(rt, "staff-450100")
    async with rt.sessionmaker() as session:
        state = await evaluation.evaluate_lot(
            session, lot.id, staff, now=clock.now(), settings=rt.settings
        )
        record = await opening_record(session, lot.id)
        failed = await session.get(Lot, lot.id)
    assert state == LotState.FAILED
    ann = await only(rt, lot.id, AnnouncementKind.FAILURE)
    assert ann.citation == "招标投标法 第42条；招标投标法实施条例 第51条"
    assert "解密投标文件3份" in ann.reason and "否决1份" in ann.reason
    assert "有效投标不足3个（2个）" in ann.reason
    assert "投标人少于" not in ann.reason and "不予开标" not in ann.reason
    assert failed is not None and failed.failure_reason == ann.reason  # the lot says the same
    rejected = ann.facts["failure"]["rejected"]
    assert len(rejected) == 1 and "control price" in rejected[0]["reasons"][0]
    # The signed opening record it concerns, by the digest anyone can recompute.
    assert record is not None
    digests = {a["name"]: a["sha256"] for a in ann.attachments}
    assert digests["开标记录表"] == hashlib.sha256(canonical_json(record)).hexdigest()
    assert ann.digests == [a["sha256"] for a in ann.attachments]


async def test_candidates_result_and_the_award_letters(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, client: Client
) -> None:
    lot = await publish_lot()
    await bid(lot)  # bidder-2 is the lowest: 8,950,000.00
    await open_all(rt, clock, [lot])
    await award_all(rt, clock, [(lot, "450100")])
    cands = await only(rt, lot.id, AnnouncementKind.CANDIDATES)
    result = await only(rt, lot.id, AnnouncementKind.RESULT)
    async with rt.sessionmaker() as session:
        awarded = await session.get(Lot, lot.id)
        assert awarded is not None and awarded.state == LotState.AWARDED
        letters = list(await session.scalars(select(AwardLetter).order_by(AwardLetter.id)))
    # The publicity: its end (≥ 3 days, 条例 54), the candidates with their prices.
    assert cands.citation == "招标投标法实施条例 第54条"
    assert cands.ends_at is not None and cands.ends_at - cands.published_at == timedelta(days=3)
    assert f"公示期至{when(cands.ends_at, TZ)}（不少于3日）" in cands.reason
    assert "8,950,000.00" in cands.html and capital(Decimal("8950000.00")) in cands.html
    assert cands.ends_at <= awarded.awarded_at  # type: ignore[operator]
    # One letter per bidder of the opening, each stating the publicity it followed.
    assert sorted(x.kind for x in letters) == ["award", "result", "result"]
    assert {x.facts["publicity_ends"] for x in letters} == {cands.ends_at.isoformat()}
    # The result.
    winner = result.facts["award"]["winner"]
    assert result.citation == "招标投标法 第45条"
    assert f"中标人：{winner}；中标价：8,950,000.00元。" == result.reason
    assert "第46条" in result.html

    # Letters through the API: each bidder sees its own, and only its own.
    winner_h, loser_h, outsider_h = [
        await bearer(client, u) for u in ("bidder-2", "bidder-1", "bidder-4")
    ]
    mine = (await client.get("/api/v1/me/letters", headers=winner_h)).json()
    theirs = (await client.get("/api/v1/me/letters", headers=loser_h)).json()
    assert [x["kind"] for x in mine] == ["award"] and [x["kind"] for x in theirs] == ["result"]
    assert (await client.get("/api/v1/me/letters", headers=outsider_h)).json() == []
    assert mine[0]["announcement_id"] == theirs[0]["announcement_id"] == result.id

    award_pdf = await client.get(mine[0]["href"], headers=winner_h)
    assert award_pdf.status_code == 200 and award_pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(award_pdf.content).hexdigest() == mine[0]["sha256"]
    assert award_pdf.headers["x-content-sha256"] == mine[0]["sha256"]
    text = pdf_text(award_pdf.content)
    assert "中标通知书" in text and "确定你方为中标人" in text and winner in text
    assert "8,950,000.00" in text

    result_pdf = await client.get(theirs[0]["href"], headers=loser_h)
    text = pdf_text(result_pdf.content)
    assert "中标结果通知书" in text and f"中标人为{winner}" in text and "你方未中标" in text

    # Attacks: another bidder's letter, an outsider, the public — the same 404 as no letter.
    for headers in (loser_h, outsider_h, {}):
        refused = await client.get(mine[0]["href"], headers=headers)
        assert refused.status_code in (401, 404), refused.status_code
    assert (await client.get(theirs[0]["href"], headers=winner_h)).status_code == 404
    assert (
        await client.get("/api/v1/letters/999999/letter.pdf", headers=winner_h)
    ).status_code == 404

    # Delivered to the workspace notices too.
    notices = (await client.get("/api/v1/me/notices", headers=winner_h)).json()
    letter_notes = [n for n in notices if n["kind"] == "award_letter"]
    assert [n["href"] for n in letter_notes] == [mine[0]["href"]]


def pdf_text(pdf: bytes) -> str:
    import shutil
    import subprocess

    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    out = subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())  # lines wrap anywhere in Chinese


async def test_cancelling_announces_the_termination_with_its_reason(
    rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    lot = await publish_lot()
    staff = await actor(rt, "staff-450100")
    before = await count_all(rt)
    async with rt.sessionmaker() as session:
        with pytest.raises(ValidationFailed):  # a reason is required
            await projects.cancel_lot(session, lot.id, staff, "  ", now=clock.now())
        with pytest.raises((Forbidden, Exception)):  # another center's staff
            await projects.cancel_lot(
                session, lot.id, await actor(rt, "staff-450200"), "越权终止", now=clock.now()
            )
    assert await count_all(rt) == before  # refused requests announce nothing
    async with rt.sessionmaker() as session:
        assert await projects.cancel_lot(
            session, lot.id, staff, "项目资金未落实，招标人决定终止招标", now=clock.now()
        )
        # Idempotent: cancelling again changes nothing and announces nothing.
        assert not await projects.cancel_lot(session, lot.id, staff, "再次终止", now=clock.now())
    ann = await only(rt, lot.id, AnnouncementKind.TERMINATION)
    assert ann.reason == "项目资金未落实，招标人决定终止招标"
    assert "终止原因：项目资金未落实" in ann.html
    assert ann.citation == "招标投标法实施条例 第31条"


async def test_cancelling_a_draft_announces_nothing(rt: Runtime, clock: FixedClock) -> None:
    project_id = await register(
        rt, construction_plan(), issued=clock.now(), deadline=clock.now() + timedelta(days=21)
    )
    staff = await actor(rt, "staff-450100")
    async with rt.sessionmaker() as session:
        project = await projects.get_project(session, project_id, staff)
        assert await projects.cancel_lot(
            session, project.lots[0].id, staff, "立项撤销", now=clock.now()
        )
    assert await count_all(rt) == 0


async def test_failed_requests_announce_nothing(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    # A lot whose dates break its ruleset is refused: no tender announcement.
    project_id = await register(
        rt, construction_plan(), issued=clock.now(), deadline=clock.now() + timedelta(days=5)
    )
    staff = await actor(rt, "staff-450100")
    async with rt.sessionmaker() as session:
        project = await projects.get_project(session, project_id, staff)
        with pytest.raises(RuleViolation):
            await publishing.publish_lot(
                session, project.lots[0].id, staff, now=clock.now(), settings=rt.settings
            )
    assert await count_all(rt) == 0
    # An award before the publicity ends is refused: no result, no letters.
    lot = await publish_lot()
    await bid(lot)
    await open_all(rt, clock, [lot])
    async with rt.sessionmaker() as session:
        await evaluation.evaluate_lot(session, lot.id, staff, now=clock.now(), settings=rt.settings)
        await evaluation.publish_candidates(
            session, lot.id, staff, now=clock.now(), settings=rt.settings
        )
        with pytest.raises(Conflict):
            await evaluation.award_lot(
                session, lot.id, staff, now=clock.now(), settings=rt.settings
            )
    assert await of_lot(rt, lot.id, AnnouncementKind.RESULT) == []


async def draft_of(rt: Runtime, lot: Lot) -> int:
    """A draft, as one drafted before announcements were published with their transitions."""
    staff = await actor(rt, "staff-450100")
    async with rt.sessionmaker() as session, writing(session):
        loaded = await session.get(Lot, lot.id)
        assert loaded is not None
        row = await builders.issue(
            session,
            loaded,
            AnnouncementKind.FAILURE,
            staff,
            at=rt.clock.now(),
            reason="草稿原因",
            publish=False,
        )
        return row.id


async def test_drafts_are_not_public_until_staff_publish_them(
    rt: Runtime, publish_lot: Any, client: Client
) -> None:
    lot = await publish_lot()
    ann_id = await draft_of(rt, lot)
    page, api = f"/announcements/{ann_id}", f"/api/v1/announcements/{ann_id}"
    assert (await client.get(page, headers=HTML)).status_code == 404
    assert (await client.get(api)).status_code == 404
    other = await bearer(client, "staff-450200")  # another center's staff
    assert (await client.get(api, headers=other)).status_code == 404
    bidder = await bearer(client, "bidder-1")
    assert (await client.get(api, headers=bidder)).status_code == 404
    assert (await client.post(f"{api}/publish", headers=bidder)).status_code == 403
    staff = await bearer(client, "staff-450100")
    seen = await client.get(page, headers={**HTML, **staff})
    assert seen.status_code == 200 and "草稿原因" in seen.text
    assert (await client.get(api, headers=staff)).json()["state"] == "draft"

    published = await client.post(f"{api}/publish", headers=staff)
    assert published.status_code == 200 and published.json()["state"] == "published"
    again = await client.post(f"{api}/publish", headers=staff)  # idempotent
    assert again.json()["published_at"] == published.json()["published_at"]
    public = await client.get(page, headers=HTML)
    assert public.status_code == 200 and "草稿原因" in public.text
    body = (await client.get(api)).json()
    assert body["kind"] == "failure" and body["reason"] == "草稿原因"
    async with rt.sessionmaker() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "announcement.publish", AuditEntry.target_id == str(ann_id))
        )
    assert audited == 1


async def test_the_publish_form_needs_its_csrf_token(
    rt: Runtime, publish_lot: Any, client: Client
) -> None:
    lot = await publish_lot()
    ann_id = await draft_of(rt, lot)
    staff = await bearer(client, "staff-450100")
    refused = await client.post(
        f"/announcements/{ann_id}/publish", data={"_csrf": "wrong"}, headers=staff
    )
    assert refused.status_code == 403
    async with rt.sessionmaker() as session:
        row = await session.get(Announcement, ann_id)
        assert row is not None and row.state == "draft"


async def test_sandbox_announcements_are_never_public(
    rt: Runtime, publish_lot: Any, client: Client
) -> None:
    lot = await publish_lot(sandbox=True, title="沙箱演示工程")
    ann = await only(rt, lot.id, AnnouncementKind.TENDER)
    assert (await client.get(f"/announcements/{ann.id}", headers=HTML)).status_code == 404
    assert (await client.get(f"/api/v1/announcements/{ann.id}")).status_code == 404
    staff = await bearer(client, "staff-450100")
    seen = await client.get(f"/announcements/{ann.id}", headers={**HTML, **staff})
    assert seen.status_code == 200 and "沙箱演示工程" in seen.text


async def test_the_public_reads_a_published_announcement(
    rt: Runtime, publish_lot: Any, client: Client
) -> None:
    lot = await publish_lot(title="公开道路工程")
    ann = await only(rt, lot.id, AnnouncementKind.TENDER)
    page = await client.get(f"/announcements/{ann.id}", headers=HTML)
    assert page.status_code == 200
    assert "公开道路工程 第1标段 招标公告" in page.text and ann.sha256 in page.text
    assert "<script" not in page.text.split("<main>")[1]  # the document carries no script
    body = (await client.get(f"/api/v1/announcements/{ann.id}")).json()
    assert body["kind"] == "tender" and body["url"] == f"/announcements/{ann.id}"
    assert body["citation"].startswith("招标投标法 第16条")


async def test_government_procurement_cites_its_own_law(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot(category=Category.PROCUREMENT, control_price=None)
    tender = await only(rt, lot.id, AnnouncementKind.TENDER)
    assert tender.citation == "财政部令第87号 第13条"
    await bid(lot, {"bidder-1": "9100000.00"})
    assert (await open_all(rt, clock, [lot]))[lot.id] == LotState.FAILED
    ann = await only(rt, lot.id, AnnouncementKind.FAILURE)
    assert ann.citation == "财政部令第87号 第43条；政府采购法 第36条"
    assert "供应商为1个" in ann.reason and "供应商少于3个" in ann.reason
