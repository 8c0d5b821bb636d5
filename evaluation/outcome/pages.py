"""The bidder's result page `/bidder/lots/{id}/result`: the same entry point as the JSON API
(evaluation/outcome/api.py), rendered at the stage the result is published."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

import evaluation.outcome.messages  # noqa: F401  (registers the page's strings)
from evaluation.outcome.service import bidder_result
from trading.enums import Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.web import page, requires


@get("/bidder/lots/{lot_id:int}/result", name="bidder_result", guards=[requires(Role.BIDDER)])
async def result_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    r = await bidder_result(db_session, lot_id, request.user)

    def here(value: Any) -> str:  # times in the lot's center's zone
        return present.when(value, r.zone)

    return page(request, "bidder/result.html", r=r, lot=r.lot, project=r.lot.project, at=here)


ROUTES = [result_page]
