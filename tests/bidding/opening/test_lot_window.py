"""A decryption window set per lot (电子招标投标办法 第30条): registered through the API and the
center's form within the ruleset's bounds (15–120 minutes; outside → 422 citing the rule,
nothing written), fixed when the opening starts, shown in the hall; a lot that sets none
keeps the ruleset's 30 minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.opening import flows
from bidding.opening.models import Opening
from bidding.submission.models import BidStatus
from bidhall.demo.accounts import demo_user
from bidhall.demo.steps import enrol
from bidhall.scheduler import window_job_id
from tests.bidding.opening.test_opening_window import WINDOW, scheduler_for, statuses
from tests.bidding.workspace.test_workspace_pages import HTML, field_errors, form, signed_in
from tests.support.clients import Client, bearer
from tests.trading.projects.test_drafts import lot_body, project_body
from trading.audit.models import AuditEntry
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects import publishing
from trading.projects.models import Lot, Project

CITATION = "电子招标投标办法 第30条"
FIELD = "lots-0-decrypt_window_minutes"


def window_body(clock: FixedClock, minutes: Any) -> dict[str, Any]:
    lot = lot_body(clock.now()) | {"decrypt_window_minutes": minutes}
    return project_body(clock.now(), lots=[lot])


async def written(rt: Runtime) -> tuple[int, int, int]:
    """Projects, lots, audit entries: what a refusal must leave as it was."""
    async with rt.sessionmaker() as session:
        return (
            await session.scalar(select(func.count(Project.id))) or 0,
            await session.scalar(select(func.count(Lot.id))) or 0,
            await session.scalar(
                select(func.count(AuditEntry.seq)).where(AuditEntry.action != "request.refused")
            )
            or 0,
        )


async def stored_window(rt: Runtime, lot_id: int) -> int | None:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        return lot.decrypt_window_minutes


async def test_api_takes_a_window_within_the_bounds_and_refuses_one_outside(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    headers = await bearer(client, "staff-450100")
    for minutes in (14, 121, 0, -30, 2**40):
        before = await written(rt)
        r = await client.post("/api/v1/projects", json=window_body(clock, minutes), headers=headers)
        assert r.status_code == 422, (minutes, r.text)
        problem = r.json()
        assert problem["field"] == "lots[0].decrypt_window_minutes"
        assert CITATION in problem["citation"] and CITATION in problem["detail"]
        assert "15" in problem["detail"] and "120" in problem["detail"]
        assert await written(rt) == before
    ids, projects = {}, {}
    for minutes in (15, 45, 120, None):
        r = await client.post("/api/v1/projects", json=window_body(clock, minutes), headers=headers)
        assert r.status_code == 201, r.text
        ids[minutes], projects[minutes] = r.json()["lots"][0]["id"], r.json()["id"]
        assert await stored_window(rt, ids[minutes]) == minutes
    # Not a whole number: the body's type is refused before any rule is read.
    before = await written(rt)
    r = await client.post("/api/v1/projects", json=window_body(clock, 45.5), headers=headers)
    assert r.status_code == 400, r.text
    assert await written(rt) == before
    # Editing the draft is checked the same way; a refused edit changes nothing.
    project_id = projects[45]
    r = await client.put(
        f"/api/v1/projects/{project_id}", json=window_body(clock, 200), headers=headers
    )
    assert r.status_code == 422 and r.json()["field"] == "lots[0].decrypt_window_minutes"
    assert await stored_window(rt, ids[45]) == 45
    r = await client.put(
        f"/api/v1/projects/{project_id}", json=window_body(clock, 60), headers=headers
    )
    assert r.status_code == 200, r.text
    assert await stored_window(rt, ids[45]) == 60


async def test_the_form_shows_the_rule_by_the_field_refuses_out_of_bounds_and_saves(
    rt: Runtime, client: Client
) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/projects/new")
    blank = await client.get("/center/projects/new", headers=HTML, follow_redirects=False)
    hint = blank.text.split(f'data-hint="{FIELD}"')[1].split("</p>")[0]
    assert CITATION in hint and "30分钟" in hint and "15至120分钟" in hint
    assert f'name="{FIELD}"' in blank.text and 'placeholder="30"' in blank.text
    before = await written(rt)
    for value, message in (("10", CITATION), ("121", CITATION), ("四十五", "整数")):
        for action in ("save", "check"):
            r = await client.post(
                "/center/projects/new",
                data=form(csrf, action=action, **{FIELD: value}),
                headers=HTML,
                follow_redirects=False,
            )
            assert r.status_code == 422, (value, action, r.text[-1500:])
            errors = field_errors(r.text, FIELD)
            assert errors and message in errors[0], (value, errors)
            assert f'value="{value}"' in r.text  # what was typed comes back
    assert await written(rt) == before
    r = await client.post(
        "/center/projects/new",
        data=form(csrf, **{FIELD: "45"}),
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-1500:]
    lot_id = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    assert await stored_window(rt, lot_id) == 45
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        project_id = lot.project_id
    edit = await client.get(
        f"/center/projects/{project_id}/edit", headers=HTML, follow_redirects=False
    )
    assert edit.status_code == 200 and f'name="{FIELD}" value="45"' in edit.text
    # Emptied on edit: back to the ruleset's window.
    r = await client.post(
        f"/center/projects/{project_id}/edit",
        data=form(csrf, **{FIELD: ""}),
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-1500:]
    assert await stored_window(rt, lot_id) is None


async def publish_with_window(
    rt: Runtime, client: Client, clock: FixedClock, minutes: int | None
) -> Lot:
    """Registered through the API with the lot's window, published, the bidders enrolled."""
    headers = await bearer(client, "staff-450100")
    r = await client.post("/api/v1/projects", json=window_body(clock, minutes), headers=headers)
    assert r.status_code == 201, r.text
    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        lot = await publishing.publish_lot(
            session, r.json()["lots"][0]["id"], staff, now=clock.now(), settings=rt.settings
        )
    await enrol(rt, lot, ("bidder-1", "bidder-2", "bidder-3"))
    return lot


async def test_a_45_minute_lot_opens_for_45_minutes_through_the_scheduler(
    rt: Runtime, client: Client, clock: FixedClock, bid: Any
) -> None:
    window = timedelta(minutes=45)
    lot = await publish_with_window(rt, client, clock, 45)
    await bid(lot)
    hall = await client.get(f"/lots/{lot.id}/hall", headers=HTML)
    shown = hall.text.split('id="lot-window"')[1].split("</div>")[0]
    assert 'data-minutes="45"' in shown and "开标后45分钟" in shown and "本标段设定" in shown
    portal = await client.get(f"/lots/{lot.id}", headers=HTML)
    row = portal.text.split('id="decrypt-window">')[1].split("</td>")[0]
    assert "开标后45分钟" in row and "本标段设定" in row
    r = await client.get(f"/api/v1/projects/{lot.project_id}")
    assert [x["decrypt_window_minutes"] for x in r.json()["lots"]] == [45]
    scheduler = scheduler_for(rt)
    clock.set(lot.bid_deadline)
    assert await scheduler.reconcile() == 1
    await flows.job_done(rt, lot.id)
    jobs = {j.id: j for j in scheduler.aps.get_jobs()}
    assert jobs[window_job_id(lot.id)].trigger.run_date == lot.bid_deadline + window
    # Past the ruleset's 30 minutes the lot's own window is still open.
    clock.advance(window - timedelta(seconds=1))
    await scheduler.reconcile()
    assert {s for s, _c in (await statuses(rt, lot)).values()} == {BidStatus.ACTIVE}
    clock.advance(timedelta(seconds=1))
    await scheduler.reconcile()
    async with rt.sessionmaker() as session:
        fresh = await session.get(Lot, lot.id)
        opening = await session.get(Opening, lot.id)
    assert fresh is not None and fresh.state == LotState.OPENED
    assert opening is not None and opening.record is not None
    assert opening.decrypt_ends_at == lot.bid_deadline + window
    assert opening.record["record"]["decrypt_ends_at"] == (lot.bid_deadline + window).isoformat()
    assert all(s == BidStatus.REVOKED for s, _c in (await statuses(rt, lot)).values())


async def test_a_lot_without_its_own_window_keeps_the_rulesets_30_minutes(
    rt: Runtime, client: Client, clock: FixedClock, bid: Any
) -> None:
    lot = await publish_with_window(rt, client, clock, None)
    assert await stored_window(rt, lot.id) is None
    await bid(lot)
    hall = await client.get(f"/lots/{lot.id}/hall", headers=HTML)
    shown = hall.text.split('id="lot-window"')[1].split("</div>")[0]
    assert 'data-minutes="30"' in shown and "规则集默认" in shown
    portal = await client.get(f"/lots/{lot.id}", headers=HTML)
    row = portal.text.split('id="decrypt-window">')[1].split("</td>")[0]
    assert "开标后30分钟" in row and "规则集默认" in row
    clock.set(lot.bid_deadline)
    assert await flows.start(rt, lot.id) == LotState.OPENING
    await flows.job_done(rt, lot.id)
    async with rt.sessionmaker() as session:
        opening = await session.get(Opening, lot.id)
    assert opening is not None and opening.decrypt_ends_at == lot.bid_deadline + WINDOW
