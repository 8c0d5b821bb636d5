"""The lot desk's evaluation tab (center workspace): hand an opened lot over to evaluation, the
ranking, the candidates publicity (候选人公示) and the award (定标), with the rules that gate
them; a failed lot's reason.

Each button posts here and calls the same service function as the JSON API
(evaluation/award/api.py); a refusal re-renders the tab with the message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import evaluation.award.messages  # noqa: F401  (registers the tab's strings)
from evaluation.award import service
from evaluation.report import service as reports
from trading.enums import LotState, Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError, NotFound
from trading.kernel.web import check_csrf, page, requires
from trading.projects.desk import acting_lot, desk_lot
from trading.projects.publishing import effective_ruleset

DESK_ROLES = (Role.STAFF, Role.SUPERVISOR)
ACTIONS = {
    "evaluate": service.evaluate_lot,
    "candidates": service.publish_candidates,
    "award": service.award_lot,
}


def _ranking_rows(ranking: dict[str, Any]) -> list[dict[str, Any]]:
    def amount(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return [
        {
            "rank": b.get("rank"),
            "bidder": b["bidder"],
            "price": amount(b.get("price")),
            "evaluated_price": amount(b.get("evaluated_price")),
            "total": amount(b.get("total")),
            "excluded": bool(b.get("excluded")),
            "reasons": list(b.get("reasons") or []),
        }
        for b in ranking.get("bids", [])
    ]


async def _evaluation_tab(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
    *,
    error: str = "",
    status_code: int = 200,
) -> Template:
    lot, can_act = await desk_lot(session, lot_id, request.user)
    now = clock.now()
    result = await service.latest_result(session, lot.id)
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    ends = service.publicity_ends(lot, settings) if lot.state == LotState.PUBLICITY else None
    zone = ZoneInfo(lot.project.center.timezone)

    def local(value: Any, *, seconds: bool = False) -> str:
        return present.when(value, zone, seconds=seconds)

    done = request.query_params.get("done", "")
    return page(
        request,
        "center/evaluation.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        tab="evaluation",
        can_act=can_act,
        result=result,
        rows=_ranking_rows(result.ranking) if result else [],
        publicity_rule=ruleset.get("publicity_days"),
        candidates_rule=ruleset.get("max_candidates"),
        award_rule=ruleset.get("contract_days"),
        publicity_ends=ends,
        publicity_over=ends is not None and now >= ends,
        error=error,
        done=done if done in ACTIONS else "",
        report=await reports.latest_report(session, lot.id),
        local=local,
        tz=lot.project.center.timezone,
    )


@get("/center/lots/{lot_id:int}/evaluation", name="desk_evaluation", guards=[requires(*DESK_ROLES)])
async def evaluation_tab(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
) -> Template:
    return await _evaluation_tab(request, db_session, lot_id, clock, settings)


@post(
    "/center/lots/{lot_id:int}/evaluation/{action:str}",
    guards=[requires(*DESK_ROLES)],
    status_code=200,
)
async def evaluation_action(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    action: str,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    clock: Clock,
    settings: Settings,
) -> Template | Redirect:
    """evaluate | candidates | award: the same service functions as POST
    /api/v1/lots/{id}/evaluate, /candidates and /award."""
    check_csrf(request, data)
    run = ACTIONS.get(action)
    if run is None:
        raise NotFound(f"没有该操作 / no such action: {action}")
    await acting_lot(db_session, lot_id, request.user)
    try:
        await run(db_session, lot_id, request.user, now=clock.now(), settings=settings)
    except DomainError as exc:
        return await _evaluation_tab(
            request,
            db_session,
            lot_id,
            clock,
            settings,
            error=exc.message,
            status_code=exc.status,
        )
    return Redirect(f"/center/lots/{lot_id}/evaluation?done={action}", status_code=303)


ROUTES = [evaluation_tab, evaluation_action]
