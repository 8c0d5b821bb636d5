"""Opening record page (开标记录表): printable, signed by the platform."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Opening
from trading.actor import Actor
from trading.errors import NotFound
from trading.service import get_lot
from trading.web import page


@get("/lots/{lot_id:int}/opening", name="opening_record")
async def opening_record(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = await get_lot(db_session, lot_id, request.user)
    opening = await db_session.get(Opening, lot.id)
    if opening is None or opening.record is None:
        raise NotFound("开标记录尚未公布 / the opening record is not published yet")
    return page(request, "opening_record.html", lot=lot, project=lot.project, signed=opening.record)


ROUTES = [opening_record]
