"""The live opening hall (开标大厅), the custodian pages, responses to the record, its PDF.

The hall is a page plus a Server-Sent Events stream. Each connection first gets a
full-state ``snapshot`` (so a reconnect needs no Last-Event-ID replay), then the
lot's events as the services commit them (bidding/events.py). Every
``HEARTBEAT_SECONDS`` the stream re-reads the snapshot and resends it when it
changed: an opening driven by another process (a separate scheduler, or a
worker without the PostgreSQL fan-out) still reaches the hall, only later.

Custodian design: a custodian's identity key file is scrypt-encrypted and only
ever opened on the custodian's own machine. The page therefore does not ask for
the key: the custodian releases with ``bidhall custody release`` (fetches the
sealed share, opens it locally, posts the released share), or pastes a released
share produced offline into the page's form. Either way the server sees the
released share only, and only from the deadline on.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body
from litestar.response import ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bidding import events, objections, service
from bidding.hall_state import online_usccs, org_usccs, snapshot
from bidding.models import Opening, ReleasedShare, ResponseKind
from bidding.opening.flows import context
from bidding.record_pdf import RecordContext, render_record_pdf
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.errors import DomainError, NotFound
from trading.kernel.runtime import Runtime
from trading.kernel.web import page, requires, runtime
from trading.parties.models import Organization
from trading.projects.models import Lot, Project
from trading.projects.service import get_lot, manages

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 3000


def _zone(lot: Lot) -> ZoneInfo:
    return ZoneInfo(lot.project.center.timezone)


def _local(lot: Lot, at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(_zone(lot)).strftime("%Y-%m-%d %H:%M:%S")


# ---- the hall ---------------------------------------------------------------------------------


@get("/lots/{lot_id:int}/hall", name="hall")
async def hall_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
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
        deadline_local=_local(lot, lot.bid_deadline),
        zone=lot.project.center.timezone,
        me_uscc=me,
        can_answer=actor.has(Role.STAFF) and manages(actor, lot.project),
        server_now=runtime(request).clock.now().isoformat(),
    )


@get("/lots/{lot_id:int}/hall/events", name="hall_events")
async def hall_events(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> ServerSentEvent:
    await get_lot(db_session, lot_id, request.user)  # drafts stay invisible
    actor = request.user
    org_id = actor.org_id if actor.has(Role.BIDDER) else None
    return ServerSentEvent(
        _stream(runtime(request), lot_id, org_id),
        retry_duration=RETRY_MS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _message(
    kind: str, data: dict[str, Any], event_id: int | None = None
) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        event=kind, data=json.dumps(data, ensure_ascii=False, separators=(",", ":")), id=event_id
    )


async def _read_snapshot(rt: Runtime, lot_id: int) -> tuple[dict[str, Any], dict[int, str]]:
    async with rt.sessionmaker() as session:
        lot = await session.scalar(
            select(Lot)
            .where(Lot.id == lot_id)
            .options(selectinload(Lot.project).selectinload(Project.center))
        )
        if lot is None:
            raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
        state = await snapshot(session, lot, rt.settings, rt.clock.now())
        opening = await session.get(Opening, lot_id)
        usccs = org_usccs(opening) if opening is not None else {}
    return state, usccs


def _stable(state: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot worth resending when it changed (not the clock, not presence)."""
    return {k: v for k, v in state.items() if k not in ("now", "presence", "online")}


async def _stream(rt: Runtime, lot_id: int, org_id: int | None) -> AsyncIterator[Any]:
    # Subscribe before reading the snapshot: nothing committed in between is missed.
    async with events.subscribe(lot_id) as sub:
        events.presence.enter(lot_id, org_id)
        try:
            state, usccs = await _read_snapshot(rt, lot_id)
            yield _message(events.SNAPSHOT, state)
            last = _stable(state)
            while True:
                event: events.LotEvent | None
                try:
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        event = await sub.next()
                except TimeoutError:
                    state, usccs = await _read_snapshot(rt, lot_id)
                    if _stable(state) != last:
                        last = _stable(state)
                        yield _message(events.SNAPSHOT, state)
                    else:
                        yield ServerSentEventMessage(comment="keep-alive")
                    continue
                if event is None:
                    return  # dropped for being too slow; the browser reconnects to a snapshot
                data = {**event.data, "at": rt.clock.now().isoformat()}  # the server's time
                if event.kind == events.PRESENCE and usccs:
                    # Once the record is out, names are public: say which bidders are here.
                    data = {**data, "online": online_usccs(usccs, lot_id)}
                yield _message(event.kind, data, event.id)
                if event.kind == events.RECORD:
                    # Then what came with the record: the response window, who is online.
                    state, usccs = await _read_snapshot(rt, lot_id)
                    last = _stable(state)
                    yield _message(events.SNAPSHOT, state)
        finally:
            events.presence.leave(lot_id, org_id)


# ---- the custodian's pages --------------------------------------------------------------------


def _holds_share(actor: Actor, lot: Lot) -> bool:
    return bool(lot.custody) and actor.user_id in (lot.custody or {}).get("custodians", [])


async def _released(session: AsyncSession, lot_id: int) -> list[ReleasedShare]:
    return list(await session.scalars(select(ReleasedShare).where(ReleasedShare.lot_id == lot_id)))


@get("/custodian", name="custodian", guards=[requires(Role.CUSTODIAN)])
async def custodian_home(request: Request[Actor, Any, Any], db_session: AsyncSession) -> Template:
    actor = request.user
    query = (
        select(Lot)
        .join(Project, Project.id == Lot.project_id)
        .where(Lot.custody.is_not(None), Lot.state != LotState.DRAFT)
        .options(selectinload(Lot.project).selectinload(Project.center))
        .order_by(Lot.bid_deadline.desc())
        .limit(500)
    )
    if actor.center_id is not None:  # custodians are drawn from the lot's own center
        query = query.where(Project.center_id == actor.center_id)
    lots = [lot for lot in await db_session.scalars(query) if _holds_share(actor, lot)]
    rows = []
    for lot in lots:
        released = await _released(db_session, lot.id)
        rows.append(
            {
                "lot": lot,
                "deadline": _local(lot, lot.bid_deadline),
                "released": len(released),
                "mine": any(r.custodian_id == actor.user_id for r in released),
            }
        )
    return page(request, "custodian.html", rows=rows, now=runtime(request).clock.now().isoformat())


async def _custodian_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    *,
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> Template:
    actor = request.user
    lot = await get_lot(db_session, lot_id, actor)
    if not _holds_share(actor, lot):
        raise PermissionDeniedException(
            "您不是本标段的开标密钥保管人 / you hold no key share for this lot"
        )
    released = await _released(db_session, lot.id)
    now = runtime(request).clock.now()
    return page(
        request,
        "custodian_lot.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        deadline_local=_local(lot, lot.bid_deadline),
        zone=lot.project.center.timezone,
        server_now=now.isoformat(),
        before_deadline=now < lot.bid_deadline,
        released=len(released),
        threshold=int((lot.custody or {}).get("threshold", 0)),
        custodians=len((lot.custody or {}).get("custodians", [])),
        mine=next((r for r in released if r.custodian_id == actor.user_id), None),
        mine_at=_local(
            lot, next((r.released_at for r in released if r.custodian_id == actor.user_id), None)
        ),
        base_url=str(request.base_url).rstrip("/"),
        message=message,
        error=error,
    )


@get("/custodian/lots/{lot_id:int}", name="custodian_lot", guards=[requires(Role.CUSTODIAN)])
async def custodian_lot(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    return await _custodian_page(request, db_session, lot_id)


@post(
    "/custodian/lots/{lot_id:int}/release",
    guards=[requires(Role.CUSTODIAN)],
    status_code=200,
)
async def custodian_release(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    """The page's release form: a released share (JSON) pasted by the custodian."""
    if not request.auth or not hmac.compare_digest(data.get("_csrf", ""), request.auth):
        raise PermissionDeniedException("CSRF token missing or wrong")
    try:
        share = json.loads(data.get("share", ""))
        if not isinstance(share, dict):
            raise ValueError("not a JSON object")
        if isinstance(share.get("share"), dict):  # also {"share": {...}}, as the API takes it
            share = share["share"]
        state = await service.release_share(
            db_session, lot_id, request.user, share, context(runtime(request))
        )
    except ValueError as exc:
        return await _custodian_page(
            request,
            db_session,
            lot_id,
            error=f"密钥分片不是有效的 JSON / the released share is not valid JSON: {exc}",
            status_code=422,
        )
    except DomainError as exc:
        if db_session.in_transaction():
            await db_session.rollback()
        return await _custodian_page(
            request, db_session, lot_id, error=exc.message, status_code=exc.status
        )
    return await _custodian_page(
        request,
        db_session,
        lot_id,
        message=f"密钥分片已释放，标段状态：{state} / share released; lot state: {state}",
    )


# ---- confirmations and objections (JSON) ------------------------------------------------------


class TextIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=2, max_length=objections.MAX_TEXT)]


class ResponsesApi(Controller):
    path = "/api/v1/lots/{lot_id:int}/opening"
    tags = ["opening hall"]  # noqa: RUF012

    @get("/responses")
    async def list_responses(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """Confirmations, objections and the center's answers on the record (public)."""
        lot = await get_lot(db_session, lot_id, request.user)
        opening = await db_session.get(Opening, lot.id)
        if opening is None or opening.record is None:
            raise NotFound("开标记录尚未公布 / the opening record is not published yet")
        ends = await objections.window_end(db_session, opening, runtime(request).settings)
        return {
            "window_ends_at": ends.isoformat(),
            "responses": await objections.responses(db_session, lot.id),
        }

    @post("/confirm", guards=[requires(Role.BIDDER)], status_code=201)
    async def confirm(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        rt = runtime(request)
        response = await objections.respond(
            db_session,
            lot_id,
            request.user,
            ResponseKind.CONFIRM,
            "",
            now=rt.clock.now(),
            settings=rt.settings,
        )
        return await objections.response_json(db_session, response)

    @post("/objections", guards=[requires(Role.BIDDER)], status_code=201)
    async def object_to(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: TextIn,
    ) -> dict[str, Any]:
        rt = runtime(request)
        response = await objections.respond(
            db_session,
            lot_id,
            request.user,
            ResponseKind.OBJECTION,
            data.text,
            now=rt.clock.now(),
            settings=rt.settings,
        )
        return await objections.response_json(db_session, response)

    @post("/objections/{response_id:int}/answer", guards=[requires(Role.STAFF)], status_code=200)
    async def answer(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        response_id: int,
        data: TextIn,
    ) -> dict[str, Any]:
        response = await objections.answer(
            db_session,
            lot_id,
            response_id,
            request.user,
            data.text,
            now=runtime(request).clock.now(),
        )
        return await objections.response_json(db_session, response)


# ---- the record as a PDF ----------------------------------------------------------------------


@get("/lots/{lot_id:int}/opening.pdf", name="opening_pdf")
async def opening_pdf(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Response[bytes]:
    lot = await get_lot(db_session, lot_id, request.user)
    opening = await db_session.get(Opening, lot.id)
    if opening is None or opening.record is None:
        raise NotFound("开标记录尚未公布 / the opening record is not published yet")
    rt = runtime(request)
    ctx = RecordContext(
        project_title=lot.project.title,
        lot_title=lot.title,
        center_name=lot.project.center.name,
        timezone=lot.project.center.timezone,
        responses=await objections.responses(db_session, lot.id),
        window_ends_at=await objections.window_end(db_session, opening, rt.settings),
        generated_at=rt.clock.now(),
    )
    # reportlab is CPU-bound: keep the event loop free for the hall's streams.
    pdf = await asyncio.to_thread(render_record_pdf, opening.record, ctx)
    name = f"opening-record-lot-{lot.id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


ROUTES = [
    hall_page,
    hall_events,
    custodian_home,
    custodian_lot,
    custodian_release,
    ResponsesApi,
    opening_pdf,
]
