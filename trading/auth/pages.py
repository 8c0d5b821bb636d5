"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from trading.auth import service as auth
from trading.auth import signup_pages
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError
from trading.kernel.i18n import pick_lang, translator
from trading.kernel.web import SESSION_COOKIE, check_csrf, client_ip, page, safe_next


@get("/login", name="login")
async def login_form(request: Request[Actor, Any, Any]) -> Template:
    return page(request, "login.html", error=None, next=safe_next(request.query_params.get("next")))


@post("/login")
async def login(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    clock: Clock,
    settings: Settings,
) -> Template | Redirect:
    # Where the visitor was going (a workspace page that sent them here): a path on this site.
    next_path = safe_next(data.get("next") or request.query_params.get("next"))
    try:
        user = await auth.authenticate(
            db_session,
            data.get("username", ""),
            data.get("password", ""),
            ip=client_ip(request),
            now=clock.now(),
            settings=settings,
        )
    except auth.SignInThrottled as exc:
        # Answered, not raised, like every sign-in refusal: failures are audited per window.
        lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
        message = translator(lang)("login.throttled").replace("{seconds}", str(exc.retry_after))
        refusal = page(request, "login.html", status_code=exc.status, error=message, next=next_path)
        refusal.headers["Retry-After"] = str(exc.retry_after)
        return refusal
    except DomainError as exc:
        return page(
            request, "login.html", status_code=exc.status, error=exc.message, next=next_path
        )
    token, _csrf = await auth.open_web_session(db_session, user, now=clock.now(), settings=settings)
    # 303: the browser GETs the page it was going to (never re-POSTs the password there).
    response = Redirect(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=settings.session_days * 86400,
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
        check_csrf(request, data)
        await auth.close_web_session(db_session, token)
    response = Redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


ROUTES = [login_form, login, logout, *signup_pages.ROUTES]
