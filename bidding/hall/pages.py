"""The live opening hall page, the signed opening record (开标记录表) and its PDF."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.response import Template
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import service as objections
from bidding.hall.record_pdf import RecordContext, render_record_pdf
from bidding.opening.models import Opening
from trading.centers.models import Center
from trading.enums import LotState, Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.cache import public_cache
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import NotFound
from trading.kernel.web import page
from trading.parties.models import Organization
from trading.projects.models import Lot, Project
from trading.projects.service import get_lot, manages

# The record page's columns, one Core select (no ORM loader chain): its anonymous responses
# are cached (trading.kernel.cache) and dropped when the lot moves (the record is published
# in the transaction that moves the lot to opened).
RECORD_PAGE = (
    select(
        Lot.id,
        Lot.title,
        Lot.state,
        Project.title.label("project_title"),
        Lot.bid_deadline,
        Center.timezone.label("center_timezone"),
        Opening.record,
        Opening.started_at,
    )
    .join_from(Lot, Project, Lot.project_id == Project.id)
    .join(Center, Project.center_id == Center.id)
    .outerjoin(Opening, Opening.lot_id == Lot.id)
    .where(Lot.id == bindparam("lot_id"))
)


@public_cache
@get("/lots/{lot_id:int}/opening", name="opening_record")
async def opening_record(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = (await db_session.execute(RECORD_PAGE, {"lot_id": lot_id})).one_or_none()
    if lot is None or lot.state == LotState.DRAFT:
        # A draft exists only for those who may see unpublished work (and has no record).
        await get_lot(db_session, lot_id, request.user)
    if lot is None or lot.record is None:
        raise NotFound("开标记录尚未公布 / the opening record is not published yet")
    view = objections.record_view(
        lot.record, zone=lot.center_timezone, opening_at=lot.bid_deadline, started_at=lot.started_at
    )
    return page(request, "opening_record.html", lot=lot, signed=lot.record, view=view)


def _zone(lot: Lot) -> ZoneInfo:
    return ZoneInfo(lot.project.center.timezone)


def lot_time(lot: Lot, at: datetime | None) -> str:
    """A moment in the lot's center's own zone (what the hall and custodian pages show)."""
    return present.when(at, _zone(lot), seconds=True)


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
        view=objections.record_view(
            opening.record,
            zone=lot.project.center.timezone,
            opening_at=lot.bid_deadline,
            started_at=opening.started_at,
        ),
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
