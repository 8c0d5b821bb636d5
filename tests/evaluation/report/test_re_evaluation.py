"""After finalising, scores change only through a recorded re-evaluation (87号令 第64条): every
other way is refused (API and pages); who may open one, with which cases; the members correct,
the chair finalises again, the report gets a new version and the old one stays readable; a
ranked lot is ranked again; not once candidates are published; racing openings and closings."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bidhall.demo.accounts import demo_user
from evaluation.award.service import evaluate_lot, latest_result, publish_candidates
from evaluation.report import service as report
from evaluation.scoring import service as scoring
from evaluation.scoring import work
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.evaluation.scoring.conftest import World, sheet_for
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}
REASON = {"case": "extreme", "reason": "席位5对技术方案评分畸低，经评标委员会认定"}


def api(world: World, rest: str = "") -> str:
    return f"/api/v1/expert/lots/{world.lot_id}{rest}"


def opening(world: World) -> str:
    return f"/api/v1/lots/{world.lot_id}/evaluation/re-evaluations"


async def resubmit(rt: Runtime, world: World, clock: FixedClock, **changes: Any) -> None:
    """Every member submits again; `changes`: seat n → (qualification, scores)."""
    for n, seat in enumerate(world.seats):
        q, s = changes.get(f"seat{n}", sheet_for(world, n))
        async with rt.sessionmaker() as session:
            await work.save(session, seat, world.lot_id, q, s, now=clock.now(), submit=True)


async def test_nothing_changes_a_finalised_evaluation_but_a_re_evaluation(
    rt: Runtime, clock: FixedClock, finalised: World, client: Client
) -> None:
    world = finalised
    ids = sorted(world.bids.values(), key=int)
    heads = [await bearer(client, name) for name in world.usernames]
    q, s = sheet_for(world, 4)
    corrected = {**s, ids[2]: {**s[ids[2]], "tech": {"score": "34", "comment": "更正"}}}
    # The API: sheet, deviations, finalise again — all 409, problem+json.
    attempts = [
        ("/sheet", {"qualification": q, "scores": corrected, "submit": True}),
        ("/deviations", {"reasons": {f"{ids[2]}/tech": "改一改"}}),
        ("/finalise", None),
    ]
    for path, body in attempts:
        r = await client.post(api(world, path), json=body, headers=heads[4 if body else 0])
        assert r.status_code == 409, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem")
    # The pages: the same, re-rendered with the message.
    await web_login(client, world.usernames[4])
    lot = f"/expert/lots/{world.lot_id}"
    page = (await client.get(lot, headers=HTML)).text
    assert 'id="finalised"' in page and 'id="sheet-form"' in page and 'id="submit"' not in page
    form = {"_csrf": csrf_of(page), "action": "submit", f"s-{ids[2]}-tech": "34"}
    r = await client.post(f"{lot}/sheet", data=form, headers=HTML)
    assert r.status_code == 409 and 'id="error"' in r.text
    r = await client.post(f"{lot}/deviations", data={"_csrf": form["_csrf"],
                          f"d-{ids[2]}/tech": "改一改"}, headers=HTML)  # fmt: skip
    assert r.status_code == 409
    client.cookies.clear()
    async with rt.sessionmaker() as session:
        seat = await scoring.seat(session, world.seats[4], world.lot_id)
        assert seat.sheet is not None and seat.sheet.scores[ids[2]]["tech"]["score"] == "20"
        assert seat.sheet.deviation_reasons[f"{ids[2]}/tech"] == "方案缺少关键工序"

    # Who may open one: not a bidder, another center's staff, a supervisor, a plain member,
    # the public; not for a case the law does not allow.
    for who in ("bidder-1", "staff-450200", "supervisor-450100", world.usernames[1]):
        r = await client.post(opening(world), json=REASON, headers=await bearer(client, who))
        assert r.status_code == 403, (who, r.text)
    client.cookies.clear()
    assert (await client.post(opening(world), json=REASON)).status_code == 401
    staff = await bearer(client, "staff-450100")
    r = await client.post(opening(world), json={**REASON, "case": "changed_mind"}, headers=staff)
    assert r.status_code == 422 and "第六十四条" in r.text
    # The desk form without its CSRF token: refused.
    await web_login(client, "staff-450100")
    desk = f"/center/lots/{world.lot_id}/evaluation/report"
    page = (await client.get(desk, headers=HTML)).text
    assert 'id="re-evaluation-form"' in page and "经评标委员会认定评分畸高、畸低" in page
    r = await client.post(f"{desk}/re-evaluation", data=REASON, headers=HTML)
    assert r.status_code == 403
    r = await client.post(f"{desk}/re-evaluation", data={**REASON, "_csrf": csrf_of(page)},
                          headers=HTML, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    client.cookies.clear()
    r = await client.post(opening(world), json=REASON, headers=staff)
    assert r.status_code == 409  # one at a time

    # While it is open: each member's index says so, the old report cannot be signed, the
    # lot cannot be ranked.
    async with rt.sessionmaker() as session:
        (row,) = [
            r for r in await scoring.my_committees(session, world.seats[2])
            if r.lot.id == world.lot_id
        ]  # fmt: skip
        assert row.reevaluating and not row.finalised
    await web_login(client, world.usernames[2])
    index = (await client.get("/expert", headers=HTML)).text
    assert "重新评审中" in index and "已定稿" not in index
    client.cookies.clear()
    async with rt.sessionmaker() as session:
        view, _ = await report.member_view(session, world.seats[0], world.lot_id)
        assert view.reopened is not None and view.reopened.case == "extreme"
        with pytest.raises(Conflict):
            await report.sign(session, world.seats[0], world.lot_id, 1, "A" * 86,
                              now=clock.now())  # fmt: skip
        with pytest.raises(Conflict, match="re-evaluation"):
            await evaluate_lot(session, world.lot_id, actor_for(await demo_user(
                rt, "staff-450100")), now=clock.now(), settings=rt.settings)  # fmt: skip
    # The members correct and resubmit; the chair finalises again: version 2.
    await resubmit(rt, world, clock, seat4=(q, corrected))
    r = await client.post(api(world, "/finalise"), headers=heads[0])
    assert r.status_code == 200, r.text
    async with rt.sessionmaker() as session:
        v2, _ = await report.member_view(session, world.seats[0], world.lot_id)
        v1, _ = await report.member_view(session, world.seats[0], world.lot_id, 1)
        actions = list(await session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_id == str(world.lot_id))
        ))  # fmt: skip
    assert v2.report.version == 2 and v2.current and v2.reopened is None
    await web_login(client, world.usernames[2])
    index = (await client.get("/expert", headers=HTML)).text
    assert "已定稿" in index and "重新评审中" not in index
    client.cookies.clear()
    assert not v1.current and v1.report.superseded_at is not None
    third = next(b for b in v2.report.document["bids"] if b["bid_id"] == ids[2])
    assert [m["score"] for m in third["scores"]["tech"]][4] == "34"
    old = next(b for b in v1.report.document["bids"] if b["bid_id"] == ids[2])
    assert [m["score"] for m in old["scores"]["tech"]][4] == "20"  # the old one stays readable
    assert v2.report.document["re_evaluation"]["case_text"] == "经评标委员会认定评分畸高、畸低"
    assert "第六十四条" in v2.report.document["re_evaluation"]["citation"]
    assert actions.count("scoring.re_evaluation") == 1
    assert actions.count("evaluation.report") == 2 and actions.count("scoring.finalised") == 2


async def test_a_ranked_lot_is_ranked_again_and_never_after_the_publicity(
    rt: Runtime, clock: FixedClock, finalised: World, client: Client
) -> None:
    world = finalised
    ids = sorted(world.bids.values(), key=int)
    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        await evaluate_lot(session, world.lot_id, staff, now=clock.now(), settings=rt.settings)
        before = await latest_result(session, world.lot_id)
    assert before is not None
    excluded = {b["bid_id"] for b in before.ranking["bids"] if b["excluded"]}
    assert excluded == {ids[0]}
    # The chair opens it from the report page (a sum was wrong: the first bid passes after all).
    await web_login(client, world.usernames[0])
    page = (await client.get(f"/expert/lots/{world.lot_id}/report", headers=HTML)).text
    r = await client.post(
        f"/expert/lots/{world.lot_id}/report/re-evaluation",
        data={"_csrf": csrf_of(page), "case": "sum_error", "reason": "资格审查汇总有误"},
        headers=HTML, follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    client.cookies.clear()
    passing = {}
    for n in range(3):
        q, s = sheet_for(world, n)
        passing[f"seat{n}"] = ({**q, ids[0]: {"pass": True}}, s)
    await resubmit(rt, world, clock, **passing)
    async with rt.sessionmaker() as session:
        await report.finalise(
            session, world.seats[0], world.lot_id, now=clock.now(), settings=rt.settings
        )
        after = await latest_result(session, world.lot_id)
        assert after is not None and after.id != before.id
        assert not any(b["excluded"] for b in after.ranking["bids"])
        view, _ = await report.member_view(session, world.seats[0], world.lot_id)
        assert view.report.document["ranking"] == after.ranking
        assert await publish_candidates(
            session, world.lot_id, staff, now=clock.now(), settings=rt.settings
        ) == LotState.PUBLICITY  # fmt: skip
    r = await client.post(opening(world), json=REASON, headers=await bearer(client, "staff-450100"))
    assert r.status_code == 409 and "publi" in r.text


async def test_racing_openings_and_closings_record_one(
    rt: Runtime, clock: FixedClock, finalised: World, client: Client
) -> None:
    world = finalised
    staff = await bearer(client, "staff-450100")
    chair = await bearer(client, world.usernames[0])
    answers = await asyncio.gather(
        client.post(opening(world), json=REASON, headers=staff),
        client.post(opening(world), json={**REASON, "case": "sum_error"}, headers=chair),
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    await resubmit(rt, world, clock)
    answers = await asyncio.gather(
        *(client.post(api(world, "/finalise"), headers=chair) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    async with rt.sessionmaker() as session:
        view, _ = await report.member_view(session, world.seats[0], world.lot_id)
    assert [r.version for r in view.versions] == [2, 1]


async def test_candidates_and_a_re_evaluation_racing_never_both_pass(
    rt: Runtime, clock: FixedClock, finalised: World, client: Client
) -> None:
    world = finalised
    staff_actor = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        await evaluate_lot(
            session, world.lot_id, staff_actor, now=clock.now(), settings=rt.settings
        )
    staff = await bearer(client, "staff-450100")
    chair = await bearer(client, world.usernames[0])
    publish, reopen = await asyncio.gather(
        client.post(f"/api/v1/lots/{world.lot_id}/candidates", headers=staff),
        client.post(opening(world), json=REASON, headers=chair),
    )
    assert sorted([publish.status_code, reopen.status_code]) in ([200, 409], [201, 409])
    async with rt.sessionmaker() as session:
        reopened = await scoring.open_re_evaluation(
            session, (await scoring.seat(session, world.seats[0], world.lot_id)).committee.id
        )
        lot = (await scoring.seat(session, world.seats[0], world.lot_id)).lot
    # Exactly one happened: publicity without a re-evaluation, or a re-evaluation before it.
    assert (lot.state == LotState.PUBLICITY) != (reopened is not None)
