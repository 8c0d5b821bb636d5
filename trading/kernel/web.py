"""Shared web plumbing: who is asking, role guards, problem-details errors, page rendering."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractMiddleware
from litestar.response import Redirect, Template
from litestar.types import Receive, Scope, Send
from sqlalchemy.exc import IntegrityError

from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.errors import Conflict, DomainError
from trading.kernel.i18n import pick_lang, translator
from trading.kernel.runtime import Runtime

log = logging.getLogger("bidhall.web")


SESSION_COOKIE = "bh_session"


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


PROBLEM_JSON = "application/problem+json"


def runtime_of(conn: ASGIConnection[Any, Any, Any, Any] | Scope) -> Runtime:
    """The process runtime, for the plumbing that runs outside dependency injection: the auth
    middleware, `page()` and the refusal hook. Handlers declare what they need by name
    (rt, settings, clock, ctx, ...: bidhall.deps) and never call this."""
    app = conn.app if isinstance(conn, ASGIConnection) else conn["litestar_app"]
    return app.state.rt  # type: ignore[no-any-return]


def client_ip(conn: ASGIConnection[Any, Any, Any, Any]) -> str:
    return conn.client.host if conn.client else ""


# Every id column is a signed 64-bit integer (BigId); a larger path id names no record.
MAX_ID = 2**63 - 1


_INTEGER = re.compile(r"\s*[+-]?(\d+)\s*")


def _int_query_keys(handler: BaseRouteHandler) -> set[str]:
    """The query keys a handler reads as integers (ids, offsets, tree sizes)."""
    return {
        getattr(field.kwarg_definition, "query", None) or name
        for name, field in handler.parsed_fn_signature.parameters.items()
        if field.annotation in (int, int | None)
    }


class IdRangeMiddleware(AbstractMiddleware):
    """An integer beyond 64 bits is refused here, before any database driver overflows on it:
    a path id names no record (404), a query integer is out of range (400)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope.get("path_params") or {}
        if any(isinstance(v, int) and not -MAX_ID - 1 <= v <= MAX_ID for v in params.values()):
            raise NotFoundException("没有该记录 / no such record")
        if scope.get("query_string") and (keys := _int_query_keys(scope["route_handler"])):
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            for key, value in query:
                digits = _INTEGER.fullmatch(value)
                # Length first: int() of a few thousand digits is itself refused (and slow).
                if key in keys and digits and (len(digits[1]) > 19 or abs(int(value)) > MAX_ID):
                    raise ValidationException(
                        f"{key}: 超出范围 / out of range",
                        extra=[{"key": key, "source": "query", "message": "out of range"}],
                    )
        await self.app(scope, receive, send)


def check_csrf(request: Request[Any, Any, Any], form: Mapping[str, Any]) -> None:
    """A page form that writes carries its session's CSRF token in `_csrf` (the JSON API
    checks the X-CSRF-Token header in the auth middleware instead)."""
    token = form.get("_csrf")
    if (
        not isinstance(request.scope.get("auth"), str)
        or not isinstance(token, str)
        or not hmac.compare_digest(token, request.auth)
    ):
        raise PermissionDeniedException("CSRF token missing or wrong")


def requires(*roles: str) -> Any:
    """A Litestar guard: the caller must hold one of `roles`."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        # OPTIONS (Litestar's automatic answer: the allowed methods) reveals nothing and runs
        # no handler; the auth middleware skips it, so there is no user to check.
        if connection.scope.get("method") == "OPTIONS":
            return
        actor: Actor = connection.user
        if actor.user_id is None:
            raise NotAuthorizedException("请先登录 / sign in first")
        if not actor.has(*roles):
            raise PermissionDeniedException(
                f"需要角色 {', '.join(roles)} / requires role {' or '.join(roles)}"
            )

    return guard


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a path on this site, else the home page. Refuses what a
    browser would take off-site (``https://evil``, ``//evil``, ``/\\evil``, ``javascript:``)."""
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return "/"
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        return "/"  # browsers read a backslash as a slash and drop tabs and newlines
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


def here(request: Request[Any, Any, Any]) -> str:
    """The path and query of this request, as a ``next`` a sign-in returns to."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.url.path + (f"?{query}" if query else "")


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser asking for a page (not the JSON API, not a script's default Accept)."""
    return not request.url.path.startswith("/api/") and "html" in request.headers.get("accept", "")


# Litestar's own wording of a bare HTTP error ("Not Found") says nothing the page's
# status-specific text does not say better, in the reader's language.
_REASONS = {phrase for phrase in (s.phrase for s in HTTPStatus)}


def _detail_in(detail: str, lang: str) -> str:
    """Our messages are written "中文 / English": the reader's half, or nothing if generic."""
    if detail in _REASONS:
        return ""
    zh, sep, en = detail.partition(" / ")
    if not sep:
        return detail
    return en if lang == "en" else zh


def _problem(
    request: Request[Any, Any, Any], status: int, title: str, detail: str, **extra: Any
) -> Response[Any]:
    if not wants_html(request):
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
        return Response(body, status_code=status, media_type=PROBLEM_JSON)
    if status == 401 and request.method in SAFE_METHODS:
        # An anonymous browser visit to a workspace: the sign-in page, then back here.
        return Redirect(f"/login?next={quote(here(request), safe='')}", status_code=303)
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
    referer = urlsplit(request.headers.get("referer", ""))
    back = ""
    if referer.netloc == request.url.netloc and referer.path != request.url.path:
        back = safe_next(urlunsplit(("", "", referer.path, referer.query, "")))
    return page(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=title,
        detail=_detail_in(detail, lang),
        back=back,
        next=here(request),
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _problem(request, exc.status, exc.code, exc.message, **exc.detail)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    extra: dict[str, Any] = {}
    if isinstance(exc.extra, dict | list) and exc.extra:
        extra["errors"] = exc.extra
    return _problem(request, exc.status_code, type(exc).__name__, exc.detail, **extra)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return _problem(request, 500, "internal_error", "服务器内部错误 / internal server error")


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A constraint refused the write: the request repeats, or lost a race with, another
    (DESIGN: uniqueness lives in constraints, an IntegrityError is a 409). The body never
    carries the driver's message, which names tables and values."""
    log.info("constraint refused a write on %s: %s", request.url.path, exc.orig)
    detail = "与已有记录冲突 / conflicts with an existing record"
    return _problem(request, Conflict.status, Conflict.code, detail)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    IntegrityError: integrity_error_handler,
    Exception: internal_error_handler,
}


def page(
    request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any
) -> Template:
    rt = runtime_of(request)
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
    zone = ZoneInfo(rt.settings.timezone)

    def local(value: datetime | str | None, *, seconds: bool = False) -> str:
        return present.when(value, zone, seconds=seconds)

    actor = request.user if "user" in request.scope else None
    response = Template(
        template_name=template,
        context={
            "t": translator(lang),
            "lang": lang,
            "actor": actor,
            "csrf": request.auth if isinstance(request.scope.get("auth"), str) else "",
            "money": present.yuan,
            "wan": present.wan,
            "capital": present.capital,
            "local": local,
            "tz": rt.settings.timezone,
            "here": here(request),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
