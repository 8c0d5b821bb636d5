"""Who is asking: bearer token (API), session cookie with CSRF (web), else the public."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)

from trading.auth.service import cookie_actor, token_actor
from trading.kernel.actor import Actor
from trading.kernel.web import SAFE_METHODS, SESSION_COOKIE, client_ip, runtime_of


class ActorMiddleware(AbstractAuthenticationMiddleware):
    """Bearer token for the API, server-side session cookie for the web, else the public."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        rt = runtime_of(connection)
        ip = client_ip(connection)
        now = rt.clock.now()
        header = connection.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("Authorization header must be 'Bearer <token>'")
            async with rt.engine.connect() as db:  # one read: no ORM session needed
                actor = await token_actor(db, token.strip(), now=now, ip=ip)
            if actor is None:
                raise NotAuthorizedException("API token invalid or expired")
            return AuthenticationResult(user=actor, auth=None)
        cookie = connection.cookies.get(SESSION_COOKIE)
        if cookie:
            async with rt.engine.connect() as db:
                found = await cookie_actor(db, cookie, now=now, ip=ip)
            if found is not None:
                actor, csrf_token = found
                method = connection.scope.get("method", "GET")
                if (
                    method not in SAFE_METHODS
                    and connection.url.path.startswith("/api/")
                    and connection.headers.get("x-csrf-token") != csrf_token
                ):
                    raise PermissionDeniedException("CSRF token missing or wrong")
                return AuthenticationResult(user=actor, auth=csrf_token)
        return AuthenticationResult(user=Actor(None, "public", ip=ip), auth=None)
