"""The live opening hall page, the signed opening record (开标记录表) and its PDF."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import service as objections
from bidding.hall.record_pdf import RecordContext, render_record_pdf
from bidding.opening import attendance
from bidding.opening import window_messages as _window_messages  # noqa: F401 (registers t())
from bidding.opening.models import Opening
from trading.centers.models import Center
from trading.enums import LotState, Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.cache import public_cache
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError, NotFound
from trading.kernel.runtime import Runtime
from trading.kernel.web import check_csrf, page, requires
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
    settings: Settings,
) -> Template:
    return await _hall(request, db_session, lot_id, clock, settings)


async def _hall(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
    *,
    error: str = "",
    respond_error: str = "",
    text: str = "",
    status_code: int = 200,
) -> Template:
    lot = await get_lot(db_session, lot_id, request.user)
    actor = request.user
    me = ""
    mine = responses = None
    if actor.has(Role.BIDDER) and actor.org_id is not None:
        org = await db_session.get(Organization, actor.org_id)
        me = org.uscc if org else ""
        # The bidder's own panel: check-in and decrypting its own bid (不见面开标).
        mine = await attendance.my_opening(db_session, lot.id, actor, clock.now(), settings)
        # Confirm or object as plain forms, for a browser without script (the card above them
        # does the same through the API when script runs).
        responses = await objections.my_responses(
            db_session, lot, actor, now=clock.now(), settings=settings
        )
    return page(
        request,
        "hall.html",
        status_code=status_code,
        mine=mine,
        mine_error=error,
        responses=responses,
        respond_ends=lot_time(lot, responses.ends) if responses else "",
        respond_error=respond_error,
        respond_text=text,
        key_owner=f"user:{actor.user_id}",
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


@post("/lots/{lot_id:int}/hall/check-in", name="hall_check_in", guards=[requires(Role.BIDDER)])
async def hall_check_in(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    rt: Runtime,
) -> Template | Redirect:
    """签到 from the hall page (a plain form: works without script); the same entry point as
    POST /api/v1/lots/{id}/opening/check-in. A refusal re-renders the hall with the reason."""
    check_csrf(request, data)
    try:
        await attendance.check_in(db_session, lot_id, request.user, rt.context())
    except DomainError as exc:
        return await _refused(request, db_session, lot_id, rt, exc, error=exc.message)
    return Redirect(f"/lots/{lot_id}/hall", status_code=303)


@post("/lots/{lot_id:int}/hall/respond", name="hall_respond", guards=[requires(Role.BIDDER)])
async def hall_respond(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    rt: Runtime,
) -> Template | Redirect:
    """Confirm the record or object to it (`kind`, `text`) from a plain form; the same entry
    point as POST /api/v1/lots/{id}/opening/confirm and …/objections. A refusal re-renders the
    hall with the reason and keeps the text."""
    check_csrf(request, data)
    text = data.get("text", "")
    try:
        await objections.respond(
            db_session, lot_id, request.user, data.get("kind", ""), text,
            now=rt.clock.now(), settings=rt.settings,
        )  # fmt: skip
    except DomainError as exc:
        return await _refused(
            request, db_session, lot_id, rt, exc, respond_error=exc.message, text=text
        )
    return Redirect(f"/lots/{lot_id}/hall#respond-plain", status_code=303)


async def _refused(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    rt: Runtime,
    exc: DomainError,
    **shown: str,
) -> Template:
    """A hall form's refusal: nothing of it kept, the hall re-rendered with the reason."""
    if db_session.in_transaction():
        await db_session.rollback()
    return await _hall(
        request, db_session, lot_id, rt.clock, rt.settings, status_code=exc.status, **shown
    )


ROUTES = [hall_page, hall_check_in, hall_respond, opening_record, opening_pdf]
