"""The custodian workspace (the lots whose opening key you hold a share of, releasing it, the
reminders staff sent) and the lot desk's opening tab (center staff run the opening)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

import bidding.opening.custody_messages  # registers the custodian release strings
import bidding.opening.messages  # noqa: F401  (registers the opening tab's strings)
from bidding.hall.pages import lot_time
from bidding.opening import desk, flows
from bidding.opening.models import ReleasedShare
from bidding.opening.shares import already_released, released_at
from crypto.keys import Identity
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.errors import DomainError
from trading.kernel.i18n import pick_lang, translator
from trading.kernel.runtime import Runtime
from trading.kernel.web import check_csrf, page, requires
from trading.parties.key_pages import key_card
from trading.projects.desk import DESK_ROLES, acting_lot, center_local, desk_lot
from trading.projects.models import Lot, Project
from trading.projects.service import get_lot


def _holds_share(actor: Actor, lot: Lot) -> bool:
    return bool(lot.custody) and actor.user_id in (lot.custody or {}).get("custodians", [])


async def _released(session: AsyncSession, lot_id: int) -> list[ReleasedShare]:
    return list(await session.scalars(select(ReleasedShare).where(ReleasedShare.lot_id == lot_id)))


@get("/custodian", name="custodian", guards=[requires(Role.CUSTODIAN)])
async def custodian_home(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock, platform: Identity
) -> Template:
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
                "deadline": lot_time(lot, lot.bid_deadline),
                "released": len(released),
                "mine": any(r.custodian_id == actor.user_id for r in released),
            }
        )
    return page(
        request,
        "custodian.html",
        rows=rows,
        now=clock.now().isoformat(),
        reminders=await desk.my_reminders(db_session, actor),
        **key_card(request, clock, platform),
    )


async def _custodian_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    platform: Identity,
    *,
    confirm: bool = False,
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
    mine = next((r for r in released if r.custodian_id == actor.user_id), None)
    now = clock.now()
    return page(
        request,
        "custodian_lot.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        deadline_local=lot_time(lot, lot.bid_deadline),
        zone=lot.project.center.timezone,
        before_deadline=now < lot.bid_deadline,
        released=len(released),
        threshold=int((lot.custody or {}).get("threshold", 0)),
        custodians=len((lot.custody or {}).get("custodians", [])),
        mine=mine,
        mine_at=lot_time(lot, mine.released_at if mine else None),
        base_url=str(request.base_url).rstrip("/"),
        message=_confirmation(request, lot.state) if confirm and mine else "",
        error=error,
        **key_card(request, clock, platform, "custody.js."),
    )


@get("/custodian/lots/{lot_id:int}", name="custodian_lot", guards=[requires(Role.CUSTODIAN)])
async def custodian_lot(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    platform: Identity,
) -> Template:
    confirm = "released" in request.query_params  # back from a release (form or script)
    return await _custodian_page(request, db_session, lot_id, clock, platform, confirm=confirm)


def _confirmation(request: Request[Actor, Any, Any], state: str) -> str:
    """What a custodian reads once its share is in: where the opening stands, in words (never
    the raw state), read from the lot itself."""
    t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
    if state == LotState.OPENING:
        return t("custody.confirm_opening")
    if state == LotState.OPENED:
        return t("custody.confirm_opened")
    return t("custody.confirm_other") + t(f"state.{state}")


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
    rt: Runtime,
) -> Template | Redirect:
    """The page's no-script form: a share opened elsewhere (the CLI, an offline computer) and
    pasted; the same flow as the API (so the release that completes it gets a tree head)."""
    check_csrf(request, data)

    async def again(error: str, status: int) -> Template:
        return await _custodian_page(
            request, db_session, lot_id, rt.clock, rt.platform, error=error, status_code=status
        )

    try:
        when = await released_at(db_session, lot_id, request.user.user_id)
        if when is not None:
            raise already_released(when)
        try:
            share: Any = json.loads(data.get("share", ""))
        except ValueError:
            t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
            return await again(t("custody.paste_invalid"), 422)
        if isinstance(share, dict) and isinstance(share.get("share"), dict):
            share = share["share"]  # also {"share": {...}}, as the API takes it
        state = await flows.release_share(rt, lot_id, request.user, share)
    except DomainError as exc:
        return await again(exc.message, exc.status)
    return Redirect(f"/custodian/lots/{lot_id}?released={state.value}", status_code=303)


# ---- the lot desk's opening tab (center staff) ------------------------------------------------


def _time_left(left: timedelta) -> str:
    """What the countdown shows without script: [N天 ]HH:MM:SS (countdown.js's format)."""
    seconds = max(int(left.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hms = f"{rest // 3600:02}:{rest % 3600 // 60:02}:{rest % 60:02}"
    return f"{days}天 {hms}" if days else hms


async def _opening_tab(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    clock: Clock,
    *,
    error: str = "",
    status_code: int = 200,
) -> Template:
    lot, can_act = await desk_lot(session, lot_id, request.user)
    now = clock.now()
    status = await desk.opening_desk(session, lot)
    done = request.query_params.get("done", "")
    return page(
        request,
        "center/opening.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        tab="opening",
        can_act=can_act,
        desk=status,
        before_deadline=now < lot.bid_deadline,
        time_left=_time_left(lot.bid_deadline - now),
        server_now=now.isoformat(),
        remind_every=int(desk.REMIND_EVERY.total_seconds() // 60),
        error=error,
        done=done if done in ("started", "reminded") else "",
        reminded=request.query_params.get("n", ""),
        local=center_local(lot),
        tz=lot.project.center.timezone,
    )


@get("/center/lots/{lot_id:int}/opening", name="desk_opening", guards=[requires(*DESK_ROLES)])
async def opening_tab(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template:
    return await _opening_tab(request, db_session, lot_id, clock)


@post("/center/lots/{lot_id:int}/opening/start", guards=[requires(*DESK_ROLES)], status_code=200)
async def start_opening(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    rt: Runtime,
) -> Template | Redirect:
    """The "start opening" button: the one entry point POST /api/v1/lots/{id}/opening uses;
    still refused before the deadline."""
    check_csrf(request, data)
    await acting_lot(db_session, lot_id, request.user)
    try:
        await flows.start(rt, lot_id, request.user)
    except DomainError as exc:
        return await _opening_tab(
            request, db_session, lot_id, rt.clock, error=exc.message, status_code=exc.status
        )
    return Redirect(f"/center/lots/{lot_id}/opening?done=started", status_code=303)


@post("/center/lots/{lot_id:int}/opening/remind", guards=[requires(*DESK_ROLES)], status_code=200)
async def remind(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    clock: Clock,
) -> Template | Redirect:
    """The "remind" button: the same `desk.remind` as POST /api/v1/lots/{id}/opening/reminders."""
    check_csrf(request, data)
    await acting_lot(db_session, lot_id, request.user)
    try:
        sent = await desk.remind(db_session, lot_id, request.user, now=clock.now())
    except DomainError as exc:
        return await _opening_tab(
            request, db_session, lot_id, clock, error=exc.message, status_code=exc.status
        )
    count = len(sent.custodians) + len(sent.bidders)
    return Redirect(f"/center/lots/{lot_id}/opening?done=reminded&n={count}", status_code=303)


ROUTES = [custodian_home, custodian_lot, custodian_release, opening_tab, start_opening, remind]
