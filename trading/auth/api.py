"""Auth JSON API: bearer tokens and sign-up."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.openapi import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncSession

from trading.auth import service as auth
from trading.auth import signup
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError
from trading.kernel.web import PROBLEM_JSON, client_ip, domain_error_handler


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class SignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]
    password: Annotated[str, msgspec.Meta(max_length=256)]
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""
    email: Annotated[str, msgspec.Meta(max_length=200)] = ""
    # A company's invitation code: the account joins that company at once.
    invitation: Annotated[str, msgspec.Meta(max_length=64)] = ""


class SignUpOut(msgspec.Struct):
    user_id: int
    username: str
    org_id: int | None
    roles: list[str]


class TokenOut(msgspec.Struct):
    token: str
    roles: list[str]


def refused_sign_in(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """The problem answer, returned rather than raised: the refusal hook would audit every
    guess, and the service already summarises failures per window."""
    response = domain_error_handler(request, exc)
    if isinstance(exc, auth.SignInThrottled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


class AuthApi(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012

    @post(
        "/token",
        status_code=201,
        responses={
            401: ResponseSpec(
                None, description="wrong username or password", media_type=PROBLEM_JSON
            ),
            429: ResponseSpec(
                None,
                description="too many failed sign-ins for this username from this address; "
                "the Retry-After header and `retry_after` give the seconds to wait",
                media_type=PROBLEM_JSON,
            ),
        },
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: TokenIn,
        clock: Clock,
        settings: Settings,
    ) -> Response[TokenOut]:
        try:
            user = await auth.authenticate(
                db_session,
                data.username,
                data.password,
                ip=client_ip(request),
                now=clock.now(),
                settings=settings,
            )
        except DomainError as exc:
            return refused_sign_in(request, exc)
        token = await auth.issue_api_token(
            db_session, user, now=clock.now(), name="api", ip=client_ip(request)
        )
        return Response(TokenOut(token=token, roles=user.roles), status_code=201)

    @post("/signup", status_code=201)
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: SignUpIn,
        clock: Clock,
    ) -> SignUpOut:
        """Create an account. Without an invitation it acts for no company: claim one with
        POST /api/v1/me/claims (a center reviews it; only an approved claim gives bidder
        rights). With an invitation code it joins the inviting company as a bidder."""
        user, _ = await signup.sign_up(
            db_session,
            signup.SignUp(data.username, data.password, data.display_name, data.phone, data.email),
            ip=client_ip(request),
            now=clock.now(),
            invitation=data.invitation,
        )
        return SignUpOut(
            user_id=user.id, username=user.username, org_id=user.org_id, roles=user.roles
        )


ROUTES = [AuthApi]
