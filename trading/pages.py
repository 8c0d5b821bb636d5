"""Portal pages (HTML): lot list with filters, lot detail with timeline, sign-in."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading import service
from trading.actor import Actor
from trading.audit import service as audit
from trading.audit.api import PUBLIC_LOT_ACTIONS
from trading.auth import service as auth
from trading.enums import Category, LotState
from trading.errors import DomainError
from trading.models import Center
from trading.reports import lot_savings
from trading.web import SESSION_COOKIE, client_ip, page, runtime


@get("/", name="portal")
async def portal(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    category: str | None = None,
    lot_state: Annotated[str | None, Parameter(query="state")] = None,
    q: Annotated[str | None, Parameter(max_length=100)] = None,
) -> Template:
    centers = list(await db_session.scalars(select(Center).order_by(Center.code)))
    center_ids = None
    if center:
        chosen = next((c for c in centers if c.code == center), None)
        center_ids = list(await service.subtree_ids(db_session, chosen.id)) if chosen else []
    lots = await service.list_lots(
        db_session,
        center_ids=center_ids,
        category=category or None,
        state=lot_state or None,
        q=q or None,
    )
    return page(
        request,
        "portal.html",
        lots=lots,
        centers=centers,
        categories=list(Category),
        states=[s for s in LotState if s != LotState.DRAFT],
        filters={
            "center": center or "",
            "category": category or "",
            "state": lot_state or "",
            "q": q or "",
        },
    )


@get("/lots/{lot_id:int}", name="lot")
async def lot_detail(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = await service.get_lot(db_session, lot_id, request.user)
    entries = await audit.for_target(db_session, "lot", lot.id)
    history = [e for e in entries if e.action in PUBLIC_LOT_ACTIONS]
    announcements = [
        a
        for a in await service.announcements_for(db_session, lot.project_id)
        if a.lot_id in (None, lot.id)
    ]
    return page(
        request,
        "lot.html",
        lot=lot,
        project=lot.project,
        history=history,
        announcements=announcements,
        savings=lot_savings(lot),
    )


@get("/login", name="login")
async def login_form(request: Request[Actor, Any, Any]) -> Template:
    return page(request, "login.html", error=None)


@post("/login")
async def login(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    rt = runtime(request)
    try:
        user = await auth.authenticate(
            db_session,
            data.get("username", ""),
            data.get("password", ""),
            ip=client_ip(request),
            now=rt.clock.now(),
            settings=rt.settings,
        )
    except DomainError as exc:
        return page(request, "login.html", status_code=exc.status, error=exc.message)
    token, _csrf = await auth.open_web_session(
        db_session, user, now=rt.clock.now(), settings=rt.settings
    )
    response = Redirect("/")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=rt.settings.session_days * 86400,
    )
    return response


@post("/logout")
async def logout(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token and request.auth:
        # CSRF: a signed-in session is closed only by a form carrying its token.
        if not hmac.compare_digest(data.get("_csrf", ""), request.auth):
            raise PermissionDeniedException("CSRF token missing or wrong")
        await auth.close_web_session(db_session, token)
    response = Redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


ROUTES = [portal, lot_detail, login_form, login, logout]
