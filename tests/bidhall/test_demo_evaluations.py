"""The seeded demo's evaluations: every awarded lot of the history was ranked from the scores of
a committee drawn from the demo experts' pools, `bidhall evaluate` recomputes each published
ranking and `bidhall evaluate draw` each committee from what the platform publishes; the live
lot's committee is drawn and its experts can sign in with the demo password."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.opening.flows import run_opening
from bidhall.demo import HISTORY, release_shares, seed_history, seed_live
from bidhall.demo import committee as demo_committee
from bidhall.demo.accounts import DEMO_PASSWORD, demo_user, key_path
from bidhall.demo.experts import EXPERTS, expert_identity
from bidhall.demo.history import COMMITTEE_SIZE, WITH_DEVIATION
from crypto.keys import load_identity
from evaluation.experts.models import Expert
from evaluation.report import service as reports
from tests.support.clients import Client, bearer
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot, Project


def quiet(_message: str) -> None:
    pass


async def awarded_lots(rt: Runtime) -> list[tuple[Lot, str, str]]:
    """(lot, project title, center code) of every awarded lot, oldest first."""
    from trading.centers.models import Center

    async with rt.sessionmaker() as session:
        rows = await session.execute(
            select(Lot, Project.title, Center.code)
            .join(Project, Project.id == Lot.project_id)
            .join(Center, Center.id == Project.center_id)
            .where(Lot.state == LotState.AWARDED)
            .order_by(Lot.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def cli_json(bidhall: Any, tmp_path: Path, name: str, doc: Any, *args: str) -> Any:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    ran = await bidhall("evaluate", *args, str(path))
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


async def test_every_awarded_demo_lot_reproduces_from_its_committee(
    rt: Runtime, client: Client, bidhall: Any, tmp_path: Path
) -> None:
    await seed_history(rt, rt.clock.now(), quiet)
    lots = await awarded_lots(rt)
    assert len(lots) == sum(1 for plan in HISTORY if plan.outcome == "award")
    async with rt.sessionmaker() as session:
        pool = {e.code: e for e in await session.scalars(select(Expert))}
    assert len(pool) == EXPERTS
    for lot, title, center in lots:
        # The published evaluation (anonymous caller): per-expert scores in seat order.
        r = await client.get(f"/api/v1/lots/{lot.id}/evaluation")
        assert r.status_code == 200, r.text
        published = r.json()
        seats = published["committee"]
        assert len(seats) == COMMITTEE_SIZE.get(title, 5), title
        assert all(s["name"] and s["code"] in pool for s in seats)
        doc = published["input"]
        assert [c["id"] for c in doc["criteria"]], title  # the committee's criteria, not price
        for b in doc["bids"]:
            assert all(len(scores) == len(seats) for scores in b["technical_scores"].values())
        ranking = await cli_json(bidhall, tmp_path, f"rank-{lot.id}", doc)
        assert ranking == published["ranking"], title
        winner = next(b for b in ranking["bids"] if b["rank"] == 1)
        assert lot.award_price is not None and winner["price"] == f"{lot.award_price:.2f}"

        # The published draw: the seed revealed after the award, the committee rerun offline.
        r = await client.get(f"/api/v1/lots/{lot.id}/committee")
        assert r.status_code == 200, r.text
        draw = r.json()
        rerun = await cli_json(bidhall, tmp_path, f"draw-{lot.id}", draw, "draw")
        assert rerun["seed_sha256"] == draw["seed_sha256"]
        assert rerun["pool_digest"] == draw["pool_digest"]
        assert rerun["committee"] == [m["code"] for m in draw["members"] if not m["declined"]]
        assert rerun["committee"] == [s["code"] for s in seats]
        # Only experts of the lot's center or the centers its policy reaches were drawn, and
        # none whom the snapshot excluded.
        reachable = {e["code"] for e in draw["document"]["pool"] if not e["excluded"]}
        assert set(rerun["committee"]) <= reachable

        # Each member declared and signed the evaluation report with their own key.
        staff = actor_for(await demo_user(rt, f"staff-{center}"))
        async with rt.sessionmaker() as session:
            view, _ = await reports.desk_view(session, staff, lot.id)
        assert view.complete and len(view.signatures) == len(seats)
        if title == WITH_DEVIATION:
            text = json.dumps(view.report.document, ensure_ascii=False)
            assert demo_committee.DEVIATION_REASON in text


async def test_the_live_lot_has_a_committee_whose_experts_sign_in_and_evaluate(
    rt: Runtime, clock: FixedClock, client: Client
) -> None:
    lot = await seed_live(rt, quiet, timedelta(minutes=1))
    # A new bidder finds a tender document to download and verify, and an answered question.
    r = await client.get(f"/api/v1/lots/{lot.id}/documents")
    docs = r.json()
    assert r.status_code == 200 and [d["name"] for d in docs] == ["招标文件.txt"]
    body = await client.get(
        f"/api/v1/documents/{docs[0]['id']}", headers=await bearer(client, "bidder-2")
    )
    assert body.status_code == 200 and hashlib.sha256(body.content).hexdigest() == docs[0]["sha256"]
    assert "国产化CPU" in (await client.get(f"/lots/{lot.id}")).text
    members = await demo_committee.members(rt, lot.id)
    assert len(members) == 5
    for member in members:
        # The key file on the expert's machine holds the key the platform has registered.
        saved = load_identity(key_path(rt, member.user.username), DEMO_PASSWORD)
        assert saved.sign_pub == expert_identity(member.user.username).sign_pub
    headers = await bearer(client, members[0].user.username)
    r = await client.get("/expert", headers=headers)
    assert r.status_code == 200
    # Before the opening the lot is not on the expert's desk; after it, the committee works.
    r = await client.get(f"/api/v1/expert/lots/{lot.id}", headers=headers)
    assert r.status_code == 404
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    assert await release_shares(rt, lot.id, quiet) == LotState.OPENED
    await demo_committee.evaluate(rt, lot.id)
    async with rt.sessionmaker() as session:
        view, _ = await reports.member_view(session, members[0].actor, lot.id)
    assert view.complete
