"""Bidders confirm the record or object inside the window, not both (条例 44); the center
answers; all audited, and the objecting bidder is told the answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.hall.models import OpeningResponse
from bidding.opening.flows import run_opening
from bidding.opening.models import OpeningReview
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime


async def test_confirm_object_answer_within_the_window(
    rt: Runtime, clock: FixedClock, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    async with rt.sessionmaker() as session:
        review = await session.get(OpeningReview, lot.id)
    assert review is not None and review.window_ends_at == clock.now() + timedelta(minutes=30)

    b1, b2 = await bearer(client, "bidder-1"), await bearer(client, "bidder-2")
    r = await client.post(f"{base}/confirm", headers=b1)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "confirm" and r.json()["bidder"] == "广西路桥工程集团有限公司"
    again = await client.post(f"{base}/confirm", headers=b1)
    assert again.json()["id"] == r.json()["id"]  # confirming twice confirms once

    clock.advance(timedelta(minutes=10))
    text = "我方报价唱标金额与投标文件不一致，请核实。"
    r = await client.post(f"{base}/objections", json={"text": text}, headers=b2)
    assert r.status_code == 201, r.text
    objection = r.json()
    assert objection["answer"] is None

    # Only the lot's own center answers, once.
    other = await bearer(client, "staff-450200")
    r = await client.post(
        f"{base}/objections/{objection['id']}/answer", json={"text": "越权答复"}, headers=other
    )
    assert r.status_code == 403
    staff = await bearer(client, "staff-450100")
    answer = "经核对开标一览表，唱标金额与投标文件一致，异议不成立。"
    r = await client.post(
        f"{base}/objections/{objection['id']}/answer", json={"text": answer}, headers=staff
    )
    assert r.status_code == 200, r.text
    assert r.json()["answer"] == answer
    twice = await client.post(
        f"{base}/objections/{objection['id']}/answer", json={"text": "再次答复"}, headers=staff
    )
    assert twice.status_code == 409
    confirmation = await client.post(
        f"{base}/objections/{(await client.get(f'{base}/responses')).json()['responses'][0]['id']}"
        "/answer",
        json={"text": "确认无需答复"},
        headers=staff,
    )
    assert confirmation.status_code == 404  # a confirmation is not an objection

    listed = (await client.get(f"{base}/responses")).json()
    assert [x["kind"] for x in listed["responses"]] == ["confirm", "objection"]
    assert listed["responses"][1]["text"] == text and listed["responses"][1]["answer"] == answer
    async with rt.sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.target_type == "lot", AuditEntry.target_id == str(lot.id)
                )
            )
        )
    assert {"opening.confirmed", "opening.objection", "opening.objection_answered"} <= set(actions)


async def test_after_the_window_responses_are_refused(
    rt: Runtime, clock: FixedClock, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    b3 = await bearer(client, "bidder-3")
    clock.advance(timedelta(minutes=30))  # the window's end itself is already too late
    r = await client.post(f"{base}/objections", json={"text": "迟到的异议内容"}, headers=b3)
    assert r.status_code == 409 and "window" in r.json()["detail"]
    assert (await client.post(f"{base}/confirm", headers=b3)).status_code == 409
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count(OpeningResponse.id))) == 0


async def test_only_the_lots_bidders_respond(rt: Runtime, opened_lot: Any, client: Client) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    outsider = await bearer(client, "bidder-4")  # a bidder, but not in this lot
    r = await client.post(
        f"{base}/objections", json={"text": "我不是本标段投标人"}, headers=outsider
    )
    assert r.status_code == 403
    for username in ("staff-450100", "custodian-450100-1", "supervisor-450000"):
        who = await bearer(client, username)
        assert (await client.post(f"{base}/confirm", headers=who)).status_code == 403
    assert (await client.post(f"{base}/confirm")).status_code == 401
    b1 = await bearer(client, "bidder-1")
    bad = [{"text": ""}, {"text": "x"}, {"text": "长" * 2001}, {"note": "字段错误"}, {}]
    for body in bad:
        r = await client.post(f"{base}/objections", json=body, headers=b1)
        assert r.status_code == 400, (body, r.text)
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count(OpeningResponse.id))) == 0


async def test_no_response_before_the_record(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, client: Client
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)  # opening, but no share released yet
    b1 = await bearer(client, "bidder-1")
    r = await client.post(f"/api/v1/lots/{lot.id}/opening/confirm", headers=b1)
    assert r.status_code == 409 and "not published" in r.json()["detail"]
    assert (await client.get(f"/api/v1/lots/{lot.id}/opening/responses")).status_code == 404


async def test_record_page_links_the_pdf_and_the_hall(opened_lot: Any, client: Client) -> None:
    lot = await opened_lot()
    page = await client.get(f"/lots/{lot.id}/opening", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f"/lots/{lot.id}/opening.pdf" in page.text and f"/lots/{lot.id}/hall" in page.text
    # The print layout is a linked sheet (CSP: no inline styles).
    assert '<link rel="stylesheet" href="/static/css/record.css">' in page.text
    sheet = await client.get("/static/css/record.css")
    assert sheet.status_code == 200 and "@media print" in sheet.text


async def _responses(rt: Runtime, lot_id: int) -> list[tuple[str, str | None]]:
    async with rt.sessionmaker() as session:
        rows = await session.execute(
            select(OpeningResponse.kind, OpeningResponse.answer)
            .where(OpeningResponse.lot_id == lot_id)
            .order_by(OpeningResponse.id)
        )
        return [(kind, answer) for kind, answer in rows.all()]


async def _actions(rt: Runtime, lot_id: int) -> list[str]:
    async with rt.sessionmaker() as session:
        return list(
            await session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.target_type == "lot",
                    AuditEntry.target_id == str(lot_id),
                    AuditEntry.action.like("opening.%"),
                    AuditEntry.action != "opening.review",
                )
                .order_by(AuditEntry.seq)
            )
        )


def _refused_by_rule(r: Any, words: str) -> None:
    assert r.status_code == 409, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in body["detail"] and body["citation"] == "招标投标法实施条例 第44条", body


async def test_a_confirmation_cannot_be_followed_by_an_objection(
    rt: Runtime, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    b1 = await bearer(client, "bidder-1")
    assert (await client.post(f"{base}/confirm", headers=b1)).status_code == 201
    before = await _actions(rt, lot.id)
    r = await client.post(f"{base}/objections", json={"text": "确认后又想提出异议"}, headers=b1)
    _refused_by_rule(r, "确认后不能再提出异议")
    assert await _responses(rt, lot.id) == [("confirm", None)]
    assert await _actions(rt, lot.id) == before  # nothing written, not even to the audit log


async def test_an_objection_blocks_confirming_until_it_is_answered(
    rt: Runtime, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    b2 = await bearer(client, "bidder-2")
    r = await client.post(f"{base}/objections", json={"text": "唱标价格与我方报价不符"}, headers=b2)
    assert r.status_code == 201, r.text
    objection = r.json()["id"]
    _refused_by_rule(await client.post(f"{base}/confirm", headers=b2), "异议尚未答复")
    again = await client.post(f"{base}/objections", json={"text": "再提一次异议"}, headers=b2)
    _refused_by_rule(again, "只能提出一次")
    assert await _responses(rt, lot.id) == [("objection", None)]

    staff = await bearer(client, "staff-450100")
    answer = "经核对，唱标价格与投标文件一致。"
    r = await client.post(
        f"{base}/objections/{objection}/answer", json={"text": answer}, headers=staff
    )
    assert r.status_code == 200, r.text
    # Answered: now the bidder may confirm the record, and may not object again.
    r = await client.post(f"{base}/confirm", headers=b2)
    assert r.status_code == 201 and r.json()["kind"] == "confirm", r.text
    late = await client.post(f"{base}/objections", json={"text": "确认后的异议"}, headers=b2)
    _refused_by_rule(late, "确认后不能再提出异议")
    assert await _responses(rt, lot.id) == [("objection", answer), ("confirm", None)]

    # The objecting bidder finds the answer among its notices; another bidder does not.
    mine = (await client.get("/api/v1/me/notices", headers=b2)).json()
    told = [n for n in mine if n["kind"] == "objection_answered"]
    assert len(told) == 1 and told[0]["lot_id"] == lot.id and told[0]["text"] == answer
    others = (
        await client.get("/api/v1/me/notices", headers=await bearer(client, "bidder-1"))
    ).json()
    assert not [n for n in others if n["kind"] == "objection_answered"]


async def test_racing_confirm_and_object_exactly_one_wins(
    rt: Runtime, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    for username in ("bidder-1", "bidder-2", "bidder-3"):
        who = await bearer(client, username)
        confirm, objection = await asyncio.gather(
            client.post(f"{base}/confirm", headers=who),
            client.post(f"{base}/objections", json={"text": "同时提出的异议"}, headers=who),
        )
        codes = sorted([confirm.status_code, objection.status_code])
        assert codes == [201, 409], (username, confirm.text, objection.text)
        loser = confirm if confirm.status_code == 409 else objection
        assert loser.json()["citation"] == "招标投标法实施条例 第44条"
    rows = await _responses(rt, lot.id)
    assert len(rows) == 3  # one response per bidder: the loser of each race wrote nothing
    actions = await _actions(rt, lot.id)
    assert len([a for a in actions if a in ("opening.confirmed", "opening.objection")]) == 3


async def test_racing_answers_the_first_stands(
    rt: Runtime, opened_lot: Any, client: Client
) -> None:
    lot = await opened_lot()
    base = f"/api/v1/lots/{lot.id}/opening"
    b3 = await bearer(client, "bidder-3")
    r = await client.post(f"{base}/objections", json={"text": "请核实开标时间"}, headers=b3)
    objection = r.json()["id"]
    staff = await bearer(client, "staff-450100")
    first, second = await asyncio.gather(
        *(
            client.post(f"{base}/objections/{objection}/answer", json={"text": text}, headers=staff)
            for text in ("第一份答复内容", "第二份答复内容")
        )
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = (first if first.status_code == 200 else second).json()["answer"]
    assert await _responses(rt, lot.id) == [("objection", winner)]
    assert (await _actions(rt, lot.id)).count("opening.objection_answered") == 1
    notices = (await client.get("/api/v1/me/notices", headers=b3)).json()
    assert [n["text"] for n in notices if n["kind"] == "objection_answered"] == [winner]
