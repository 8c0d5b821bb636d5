"""A bidder's own result on a lot (JSON): the same entry point as the result page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.outcome.schemas import ResultOut, result_out
from evaluation.outcome.service import bidder_result
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.web import requires


@get("/api/v1/me/lots/{lot_id:int}/result", tags=["evaluation"], guards=[requires(Role.BIDDER)])
async def my_result(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> ResultOut:
    """The signed-in bidder's result: its opening outcome, then — once published — its
    qualification with the reasons a rejected bid was rejected, its candidate rank and score,
    中标/未中标 and its letter. 404 for a lot where it has no decided bid."""
    return result_out(await bidder_result(db_session, lot_id, request.user))


ROUTES = [my_result]
