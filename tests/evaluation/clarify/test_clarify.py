"""Clarification requests (澄清) as attacks: a member's question waits for the chair's deadline;
only the bid's own company reads and answers it, once, before the deadline (two answers raced:
one wins); experts of no seat, bidders, staff and the public cannot ask; nothing is written when
refused (database and blob store); the answer is part of the record for the report."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from evaluation.clarify.models import Clarification
from evaluation.clarify.service import clarifications_for
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.evaluation.clarify.conftest import bid_of, letters, secrets_of
from tests.evaluation.scoring.conftest import World, declare
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}
BIDDER_API = "/api/v1/bidder/clarifications"


def api(world: World, rest: str = "") -> str:
    return f"/api/v1/expert/lots/{world.lot_id}/clarifications{rest}"


async def count(rt: Runtime, model: Any) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_ask_send_answer_once_and_attacks(
    client: Client,
    rt: Runtime,
    clock: FixedClock,
    world: World,
) -> None:
    for n in range(2):
        await declare(rt, world, n, clock.now())
    chair, member = [await bearer(client, world.usernames[n]) for n in range(2)]
    target = await bid_of(rt, world, "bidder-1")
    due = (clock.now() + timedelta(days=2)).isoformat()

    # Who may not ask: a seat that has not declared, an expert of no seat, bidders, staff, the
    # public; a member may not set the deadline (the chair does).
    ask = {"bid": target, "question": "请说明项目经理的在岗安排。"}
    undeclared = await bearer(client, world.usernames[2])
    assert (await client.post(api(world), json=ask, headers=undeclared)).status_code == 409
    outsider = await bearer(client, world.outsider.name)
    assert (await client.post(api(world), json=ask, headers=outsider)).status_code == 404
    assert (await client.get(api(world), headers=outsider)).status_code == 404
    for who in ("bidder-1", "staff-450100", "supervisor-450100"):
        r = await client.post(api(world), json=ask, headers=await bearer(client, who))
        assert r.status_code == 403
    client.cookies.clear()
    assert (await client.post(api(world), json=ask)).status_code == 401
    r = await client.post(api(world), json={**ask, "answer_by": due}, headers=member)
    assert r.status_code == 403
    r = await client.post(api(world), json={**ask, "bid": "999999"}, headers=member)
    assert r.status_code == 422
    assert await count(rt, Clarification) == 0

    # A member's question waits for the chair; the bidder sees nothing yet.
    r = await client.post(api(world), json=ask, headers=member)
    assert r.status_code == 201, r.text
    proposed = r.json()
    assert proposed["state"] == "proposed" and proposed["answer_by"] is None
    owner = await bearer(client, "bidder-1")
    assert (await client.get(BIDDER_API, headers=owner)).json() == []
    r = await client.post(api(world, f"/{proposed['id']}/send"), json={"answer_by": due},
                          headers=member)  # fmt: skip
    assert r.status_code == 403
    r = await client.post(api(world, f"/{proposed['id']}/send"),
                          json={"answer_by": clock.now().isoformat()}, headers=chair)  # fmt: skip
    assert r.status_code == 422  # a deadline in the past
    r = await client.post(api(world, f"/{proposed['id']}/send"), json={"answer_by": due},
                          headers=chair)  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "sent"
    r = await client.post(api(world, f"/{proposed['id']}/send"), json={"answer_by": due},
                          headers=chair)  # fmt: skip
    assert r.status_code == 409

    # Only the bid's company reads and answers; the asking expert is a seat, never a name.
    mine = (await client.get(BIDDER_API, headers=owner)).json()
    assert [c["id"] for c in mine] == [proposed["id"]] and mine[0]["asked_by_position"] == 2
    assert world.usernames[1] not in str(mine)
    other = await bearer(client, "bidder-2")
    assert (await client.get(BIDDER_API, headers=other)).json() == []
    answer_url = f"{BIDDER_API}/{proposed['id']}/answer"
    body = {"answer": "项目经理全职在岗，附任命书。", "file_name": "任命书.pdf",
            "file_base64": base64.b64encode(b"%PDF-1.4 appointment").decode()}  # fmt: skip
    assert (await client.post(answer_url, json=body, headers=other)).status_code == 404
    staff = await bearer(client, "staff-450100")
    assert (await client.post(answer_url, json=body, headers=staff)).status_code == 403
    assert (
        await client.post(answer_url, json={**body, "price": "1"}, headers=owner)
    ).status_code == 400
    r = await client.post(answer_url, json=body, headers=owner)
    assert r.status_code == 200, r.text
    sha = hashlib.sha256(b"%PDF-1.4 appointment").hexdigest()
    assert r.json()["file_sha256"] == sha and rt.blobs.exists(sha)
    r = await client.post(answer_url, json={**body, "answer": "改口"}, headers=owner)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem")

    # The committee reads the answer and its file; the record carries it for the report.
    listed = (await client.get(api(world), headers=chair)).json()
    assert listed[0]["answer"] == body["answer"] and listed[0]["file_name"] == "任命书.pdf"
    r = await client.get(f"/expert/lots/{world.lot_id}/clarifications/{proposed['id']}/file",
                         headers=member)  # fmt: skip
    assert r.status_code == 200 and r.content == b"%PDF-1.4 appointment"
    async with rt.sessionmaker() as session:
        record = await clarifications_for(session, world.lot_id)
        actions = list(await session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("clarification.%"))
            .order_by(AuditEntry.seq)
        ))  # fmt: skip
    assert [(c["bid_id"], c["answer"], c["file_sha256"]) for c in record] == [
        (int(target), body["answer"], sha)
    ]
    assert record[0]["citation"] == "招标投标法实施条例 第52条"
    assert actions == ["clarification.asked", "clarification.sent", "clarification.answered"]


async def test_two_answers_raced_and_the_deadline(
    client: Client,
    rt: Runtime,
    clock: FixedClock,
    world: World,
) -> None:
    await declare(rt, world, 0, clock.now())
    chair = await bearer(client, world.usernames[0])
    target = await bid_of(rt, world, "bidder-2")
    due = clock.now() + timedelta(hours=4)
    ids = []
    for q in ("请澄清工期安排。", "请澄清质量承诺。"):
        r = await client.post(api(world), json={"bid": target, "question": q,
                              "answer_by": due.isoformat()}, headers=chair)  # fmt: skip
        assert r.status_code == 201 and r.json()["state"] == "sent"
        ids.append(r.json()["id"])
    owner = await bearer(client, "bidder-2")

    # Two answers at once: exactly one is recorded.
    url = f"{BIDDER_API}/{ids[0]}/answer"
    results = await asyncio.gather(
        *(client.post(url, json={"answer": f"答复{n}"}, headers=owner) for n in range(2))
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    async with rt.sessionmaker() as session:
        row = await session.get(Clarification, ids[0])
        assert row is not None and row.answer in {"答复0", "答复1"}

    # At the deadline: refused, and nothing written (no row change, no blob).
    clock.set(due)
    late = b"late appendix"
    body = {"answer": "迟到的答复", "file_name": "a.txt",
            "file_base64": base64.b64encode(late).decode()}  # fmt: skip
    r = await client.post(f"{BIDDER_API}/{ids[1]}/answer", json=body, headers=owner)
    assert r.status_code == 409 and "deadline" in r.text
    assert not rt.blobs.exists(hashlib.sha256(late).hexdigest())
    async with rt.sessionmaker() as session:
        row = await session.get(Clarification, ids[1])
        assert row is not None and row.answer is None and row.state == "sent"


async def test_pages_ask_send_and_answer(
    client: Client,
    rt: Runtime,
    clock: FixedClock,
    world: World,
) -> None:
    for n in range(2):
        await declare(rt, world, n, clock.now())
    target = await bid_of(rt, world, "bidder-3")
    base = f"/expert/lots/{world.lot_id}/clarifications"
    await web_login(client, world.usernames[1])  # a member
    page = (await client.get(base, headers=HTML)).text
    assert 'id="ask-form"' in page and 'name="answer_by"' not in page
    form = {"bid": target, "question": "请说明主要设备的品牌。"}
    assert (await client.post(base, data=form, headers=HTML)).status_code == 403  # no CSRF
    r = await client.post(base, data={**form, "_csrf": csrf_of(page), "question": " "},
                          headers=HTML)  # fmt: skip
    assert r.status_code == 422 and 'id="error"' in r.text
    assert await count(rt, Clarification) == 0
    r = await client.post(base, data={**form, "_csrf": csrf_of(page)}, headers=HTML,
                          follow_redirects=False)  # fmt: skip
    assert r.status_code == 303

    client.cookies.clear()
    await web_login(client, world.usernames[0])  # the chair sends it
    page = (await client.get(base, headers=HTML)).text
    assert 'data-state="proposed"' in page and "请说明主要设备的品牌。" in page
    async with rt.sessionmaker() as session:
        cid = (await session.scalars(select(Clarification.id))).one()
    r = await client.post(f"{base}/{cid}/send", data={"_csrf": csrf_of(page),
                          "answer_by": "2000-01-01T09:00"}, headers=HTML)  # fmt: skip
    assert r.status_code == 422 and 'id="error"' in r.text
    r = await client.post(f"{base}/{cid}/send", data={"_csrf": csrf_of(page), "answer_by": (
        clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}, headers=HTML,
        follow_redirects=False)  # fmt: skip
    assert r.status_code == 303

    client.cookies.clear()
    await web_login(client, "bidder-3")
    home = (await client.get("/bidder", headers=HTML)).text
    assert 'href="/bidder/clarifications"' in home and 'data-kind="eval_clarify"' in home
    page = (await client.get("/bidder/clarifications", headers=HTML)).text
    assert f'data-clarification="{cid}"' in page and "请说明主要设备的品牌。" in page
    assert world.usernames[0] not in page and world.usernames[1] not in page
    url = f"/bidder/clarifications/{cid}/answer"
    files = {"file": ("设备清单.txt", b"brand list", "text/plain")}
    assert (await client.post(url, data={"answer": "见附件"}, files=files,
                              headers=HTML)).status_code == 403  # fmt: skip
    r = await client.post(url, data={"_csrf": csrf_of(page), "answer": "见附件。"}, files=files,
                          headers=HTML, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = (await client.get("/bidder/clarifications", headers=HTML)).text
    assert 'data-state="answered"' in page and hashlib.sha256(b"brand list").hexdigest() in page
    r = await client.post(url, data={"_csrf": csrf_of(page), "answer": "再答一次"},
                          headers=HTML)  # fmt: skip
    assert r.status_code == 409 and 'id="error"' in r.text

    client.cookies.clear()
    await web_login(client, "bidder-1")  # another company: nothing to see or answer
    page = (await client.get("/bidder/clarifications", headers=HTML)).text
    assert "请说明主要设备的品牌。" not in page
    r = await client.post(url, data={"_csrf": csrf_of(page), "answer": "冒充"}, headers=HTML)
    assert r.status_code == 404


async def test_anonymous_lot_never_names_the_bidder_to_the_committee(
    client: Client, rt: Runtime, clock: FixedClock, anon_world: World
) -> None:
    world = anon_world
    for n in range(2):
        await declare(rt, world, n, clock.now())
    found = await secrets_of(rt, world)
    ids = await letters(rt, world)
    target = await bid_of(rt, world, "bidder-2")
    letter = next(x for x, b in ids.items() if b == target)
    chair, member = [await bearer(client, world.usernames[n]) for n in range(2)]
    due = (clock.now() + timedelta(days=1)).isoformat()

    # Asked by the bid's id on a masked lot: no such key (it would pair the id with a letter).
    ask = {"bid": target, "question": "请说明施工组织设计第3章。", "answer_by": due}
    assert (await client.post(api(world), json=ask, headers=chair)).status_code == 422
    r = await client.post(api(world), json={**ask, "bid": letter}, headers=chair)
    assert r.status_code == 201 and r.json()["bidder"] == f"投标人{letter}"
    cid = r.json()["id"]
    owner = await bearer(client, "bidder-2")
    mine = (await client.get(BIDDER_API, headers=owner)).json()
    assert [c["id"] for c in mine] == [cid] and mine[0]["bidder"] in found.names
    named = {"answer": "见附件。", "file_name": f"{found.names[0]}-技术说明.txt",
             "file_base64": base64.b64encode(b"chapter 3").decode()}  # fmt: skip
    assert (
        await client.post(f"{BIDDER_API}/{cid}/answer", json=named, headers=owner)
    ).status_code == 200

    # The committee: the letter, the answer, the file by digest under the letter's name.
    for head in (chair, member):
        r = await client.get(api(world), headers=head)
        assert r.status_code == 200 and r.json()[0]["bidder"] == f"投标人{letter}"
        assert r.json()[0]["bid"] == letter and r.json()[0]["file_name"] is None
        for secret in (*found.names, *found.usccs, f'"{target}"'):
            assert secret not in r.text, secret
    r = await client.get(f"/expert/lots/{world.lot_id}/clarifications/{cid}/file", headers=member)
    assert r.status_code == 200 and r.content == b"chapter 3"
    assert f"clarification-{letter}-{cid}.txt" in r.headers["content-disposition"]
    assert not any(n in r.headers["content-disposition"] for n in found.names)
    await web_login(client, world.usernames[1])
    page = (await client.get(f"/expert/lots/{world.lot_id}/clarifications", headers=HTML)).text
    assert f"投标人{letter}" in page and "见附件。" in page
    for secret in (*found.names, *found.usccs, f'value="{target}"'):
        assert secret not in page, secret
    # The public log (a lot's entries are public once it is opened) says nothing of it: the
    # answer's entry names the bidder's user, so it would pair the letter with the company.
    r = await client.get("/api/v1/audit/entries/public", params={"limit": 1000})
    assert r.status_code == 200 and "clarification." not in r.text
    assert not any(n in r.text for n in found.names)
    # The record for the report names the company and its letter.
    async with rt.sessionmaker() as session:
        record = await clarifications_for(session, world.lot_id)
    assert record[0]["letter"] == letter and record[0]["bidder"] in found.names
