"""Remote scoring through the service: declaration first, drafts, submission, the chair's view,
deviations needing a reason, finalising only when all submitted, nothing changing afterwards,
and the committee's scores ranking the lot in a document `bidhall evaluate` recomputes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bidhall.demo.accounts import demo_user
from evaluation.award.service import evaluate_lot, latest_result
from evaluation.offline import evaluate_document
from evaluation.report.service import finalise
from evaluation.scoring import service as scoring
from evaluation.scoring import work
from tests.evaluation.scoring.conftest import World, sheet_for
from trading.audit.models import AuditEntry
from trading.auth.service import actor_for
from trading.enums import LotState
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.kernel.runtime import Runtime


async def test_full_flow_ranks_the_lot_from_the_committees_scores(
    rt: Runtime, clock: FixedClock, world: World
) -> None:
    lot_id, seats, now = world.lot_id, world.seats, clock.now()
    ids = sorted(world.bids.values(), key=int)
    async with rt.sessionmaker() as session:
        desk = await scoring.desk(session, seats[1], lot_id)
        assert desk.bids == [] and desk.seat.sheet is None  # nothing before the declaration
        with pytest.raises(Conflict):
            await work.save(session, seats[1], lot_id, {}, {}, now=now)
        with pytest.raises(ValidationFailed):
            await work.declare(session, seats[1], lot_id, "我保证", "", now=now)
        for n, seat in enumerate(seats):
            statement = await work.declaration_statement(session, seat, lot_id)
            await work.declare(
                session, seat, lot_id, scoring.DECLARATION, world.sign(n, statement), now=now
            )
        assert len((await scoring.desk(session, seats[1], lot_id)).bids) == 4

        q, s = sheet_for(world, 1)
        await work.save(session, seats[1], lot_id, q, {ids[0]: s[ids[0]]}, now=now)  # draft
        with pytest.raises(ValidationFailed, match="not scored"):
            await work.save(session, seats[1], lot_id, q, {ids[0]: s[ids[0]]}, now=now,
                               submit=True)  # fmt: skip
        over = {**s, ids[1]: {**s[ids[1]], "svc": {"score": "20.5", "comment": ""}}}
        with pytest.raises(ValidationFailed, match=r"0\.\.20"):
            await work.save(session, seats[1], lot_id, q, over, now=now)
        no_reason = {**q, ids[0]: {"pass": False, "reason": " "}}
        with pytest.raises(ValidationFailed, match="reason"):
            await work.save(session, seats[1], lot_id, no_reason, s, now=now)

        for n in range(4):
            q, s = sheet_for(world, n)
            await work.save(session, seats[n], lot_id, q, s, now=now, submit=True)
        with pytest.raises(Conflict):  # submitted: final for that expert
            await work.save(session, seats[0], lot_id, q, s, now=now)
        chair = await scoring.desk(session, seats[0], lot_id)
        assert chair.progress == [(1, True), (2, True), (3, True), (4, True), (5, False)]
        assert (await scoring.desk(session, seats[2], lot_id)).progress == []  # chair only
        with pytest.raises(Conflict, match="not submitted"):
            await finalise(session, seats[0], lot_id, now=now, settings=rt.settings)
        staff = actor_for(await demo_user(rt, "staff-450100"))
        with pytest.raises(Conflict, match="not finalised"):  # no price-only ranking meanwhile
            await evaluate_lot(session, lot_id, staff, now=now, settings=rt.settings)

        q, s = sheet_for(world, 4)
        await work.save(session, seats[4], lot_id, q, s, now=now, submit=True)
        flagged = (await scoring.desk(session, seats[4], lot_id)).my_flags
        assert [(f.bid_id, f.criterion_id, f.score, f.mean) for f in flagged] == [
            (ids[2], "tech", Decimal("20"), Decimal("32.80"))
        ]
        assert (await scoring.desk(session, seats[0], lot_id)).outstanding == 1
        with pytest.raises(Forbidden):
            await finalise(
                session, seats[1], lot_id, now=now, settings=rt.settings
            )  # not the chair
        with pytest.raises(Conflict, match="lack a written reason"):
            await finalise(session, seats[0], lot_id, now=now, settings=rt.settings)
        with pytest.raises(ValidationFailed):  # one explains only one's own flagged scores
            await work.explain(session, seats[1], lot_id, {f"{ids[2]}/tech": "x"}, now=now)
        await work.explain(
            session, seats[4], lot_id, {f"{ids[2]}/tech": "方案缺少关键工序"}, now=now
        )
        await finalise(session, seats[0], lot_id, now=now, settings=rt.settings)

        # Nothing changes after finalising.
        with pytest.raises(Conflict):
            await work.explain(session, seats[4], lot_id, {f"{ids[2]}/tech": "改"}, now=now)
        with pytest.raises(Conflict):
            await finalise(session, seats[0], lot_id, now=now, settings=rt.settings)
        with pytest.raises(Conflict):
            await work.save(session, seats[4], lot_id, q, s, now=now)

        assert await evaluate_lot(session, lot_id, staff, now=now, settings=rt.settings) == (
            LotState.EVALUATED
        )
        result = await latest_result(session, lot_id)
        assert result is not None
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("scoring.%"))
            )
        )
    assert actions.count("scoring.declared") == 5 and actions.count("scoring.submitted") == 5
    assert "scoring.deviation_explained" in actions and "scoring.finalised" in actions

    doc = result.input_doc
    assert [c["id"] for c in doc["criteria"]] == ["tech", "svc"]
    by_id = {b["bid_id"]: b for b in doc["bids"]}
    # Per-expert scores in seat order are published; the majority failed the first bid.
    assert by_id[ids[2]]["technical_scores"]["tech"] == ["36", "36", "36", "36", "20"]
    assert by_id[ids[0]]["qualified"] is False and by_id[ids[1]]["qualified"] is True
    assert "criteria" not in doc["params"] and "deviation_share" not in doc["params"]
    # Anyone recomputes the same ranking from the published document.
    assert evaluate_document(doc) == result.ranking
    ranked = {b["bid_id"]: b for b in result.ranking["bids"]}
    assert ranked[ids[0]]["excluded"] is True
    assert ranked[ids[2]]["technical_score"] == "47.80"  # mean 32.80 + 15
    assert ranked[ids[1]]["technical_score"] == "35.00"


async def test_only_seated_members_reach_the_desk(
    rt: Runtime, clock: FixedClock, world: World
) -> None:
    from evaluation.experts import service as experts
    from evaluation.experts.models import Expert

    async with rt.sessionmaker() as session:
        with pytest.raises(NotFound):  # an expert of the pool not on this committee
            await scoring.desk(session, world.outsider, world.lot_id)
        with pytest.raises(Forbidden):  # staff are no experts
            await scoring.desk(
                session, actor_for(await demo_user(rt, "staff-450100")), world.lot_id
            )
        code = await session.scalar(
            select(Expert.code).where(Expert.user_id == world.seats[3].user_id)
        )
        staff = actor_for(await demo_user(rt, "staff-450100"))
        await experts.decline(session, staff, world.lot_id, str(code), "身体原因", now=clock.now())
        with pytest.raises(Forbidden):  # a declined member cannot score
            await work.declare(
                session, world.seats[3], world.lot_id, scoring.DECLARATION, "", now=clock.now()
            )
        assert world.lot_id not in [
            r.lot.id for r in await scoring.my_committees(session, world.seats[3])
        ]
        assert world.lot_id in [
            r.lot.id for r in await scoring.my_committees(session, world.seats[0])
        ]
