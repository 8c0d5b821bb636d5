"""The live opening hall page, the signed opening record (开标记录表) and its PDF."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import service as objections
from bidding.hall.record_pdf import RecordContext, render_record_pdf
from bidding.opening.models import Opening
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import NotFound
from trading.kernel.web import page
from trading.parties.models import Organization
from trading.projects.models import Lot
from trading.projects.service import get_lot, manages


@get("/lots/{lot_id:int}/opening", name="opening_record")
async def opening_record(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = await get_lot(db_session, lot_id, request.user)
    opening = await db_session.get(Opening, lot.id)
    if opening is None or opening.record is None:
        raise NotFound("开标记录尚未公布 / the opening record is not published yet")
    return page(request, "opening_record.html", lot=lot, project=lot.project, signed=opening.record)


def _zone(lot: Lot) -> ZoneInfo:
    return ZoneInfo(lot.project.center.timezone)


def lot_time(lot: Lot, at: datetime | None) -> str:
    """A moment in the lot's center's own zone (what the hall and custodian pages show)."""
    return "—" if at is None else at.astimezone(_zone(lot)).strftime("%Y-%m-%d %H:%M:%S")


@get("/lots/{lot_id:int}/hall", name="hall")
async def hall_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
) -> Template:
    lot = await get_lot(db_session, lot_id, request.user)
    actor = request.user
    me = ""
    if actor.has(Role.BIDDER) and actor.org_id is not None:
        org = await db_session.get(Organization, actor.org_id)
        me = org.uscc if org else ""
    return page(
        request,
        "hall.html",
        lot=lot,
        project=lot.project,
        deadline_local=lot_time(lot, lot.bid_deadline),
        zone=lot.project.center.timezone,
        me_uscc=me,
        can_answer=actor.has(Role.STAFF) and manages(actor, lot.project),
        server_now=clock.now().isoformat(),
    )


@get("/lots/{lot_id:int}/opening.pdf", name="opening_pdf")
async def opening_pdf(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
) -> Response[bytes]:
    lot = await get_lot(db_session, lot_id, request.user)
    opening = await db_session.get(Opening, lot.id)
    if opening is None or opening.record is None:
        raise NotFound("开标记录尚未公布 / the opening record is not published yet")
    ctx = RecordContext(
        project_title=lot.project.title,
        lot_title=lot.title,
        center_name=lot.project.center.name,
        timezone=lot.project.center.timezone,
        responses=await objections.responses(db_session, lot.id),
        window_ends_at=await objections.window_end(db_session, opening, settings),
        generated_at=clock.now(),
    )
    # reportlab is CPU-bound: keep the event loop free for the hall's streams.
    pdf = await asyncio.to_thread(render_record_pdf, opening.record, ctx)
    name = f"opening-record-lot-{lot.id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


ROUTES = [hall_page, opening_record, opening_pdf]
