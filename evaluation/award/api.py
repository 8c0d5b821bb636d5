"""Evaluation JSON API: rank an opened lot, publish candidates, award; the published inputs."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.award import service
from evaluation.report import service as reports
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import NotFound
from trading.kernel.web import requires
from trading.projects.schemas import TransitionOut
from trading.projects.service import get_lot

PUBLIC_AFTER = (LotState.PUBLICITY, LotState.AWARDED)


class EvaluationApi(Controller):
    path = "/api/v1/lots/{lot_id:int}"
    tags = ["evaluation"]  # noqa: RUF012
    guards = [requires(Role.STAFF, Role.TENDERER, Role.AGENCY)]  # noqa: RUF012

    @post("/evaluate", status_code=200)
    async def evaluate(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        clock: Clock,
        settings: Settings,
    ) -> TransitionOut:
        state = await service.evaluate_lot(
            db_session, lot_id, request.user, now=clock.now(), settings=settings
        )
        return TransitionOut(lot_id=lot_id, state=state, changed=True)

    @post("/candidates", status_code=200)
    async def candidates(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        clock: Clock,
        settings: Settings,
    ) -> TransitionOut:
        state = await service.publish_candidates(
            db_session, lot_id, request.user, now=clock.now(), settings=settings
        )
        return TransitionOut(lot_id=lot_id, state=state, changed=True)

    @post("/award", status_code=200)
    async def award(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        clock: Clock,
        settings: Settings,
    ) -> TransitionOut:
        state = await service.award_lot(
            db_session, lot_id, request.user, now=clock.now(), settings=settings
        )
        return TransitionOut(lot_id=lot_id, state=state, changed=True)


@get("/api/v1/lots/{lot_id:int}/evaluation", tags=["evaluation"])
async def published_evaluation(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> dict[str, Any]:
    """Input and ranking, public from the publicity on: recompute with `bidhall evaluate`
    (`input` → `ranking`; per-expert scores are listed in seat order). `committee` names the
    seats: their positions only, and the experts' names once the result is published (法 44:
    the committee stays secret until then)."""
    lot = await get_lot(db_session, lot_id, request.user)
    result = await service.latest_result(db_session, lot.id)
    if result is None or lot.state not in PUBLIC_AFTER:
        raise NotFound("评标结果尚未公布 / the evaluation is not published yet")
    committee = await reports.published_committee(
        db_session, lot.id, named=lot.state == LotState.AWARDED
    )
    return {"input": result.input_doc, "ranking": result.ranking, "committee": committee}


ROUTES = [EvaluationApi, published_evaluation]
