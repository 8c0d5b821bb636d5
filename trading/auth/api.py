"""Auth JSON API: bearer tokens and bidder self-registration."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.openapi import ResponseSpec
from sqlalchemy.ext.asyncio import AsyncSession

from trading.auth import service as auth
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError
from trading.kernel.web import PROBLEM_JSON, client_ip, domain_error_handler


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class BidderSignupIn(msgspec.Struct, forbid_unknown_fields=True):
    org_name: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    uscc: Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")]
    password: Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    sme: bool = False


class BidderSignupOut(msgspec.Struct):
    user_id: int
    username: str
    org_id: int
    uscc: str


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

    @post("/bidders", status_code=201)
    async def register_bidder(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: BidderSignupIn,
        clock: Clock,
    ) -> BidderSignupOut:
        """A bidder registers once and may then bid in any center's lots."""
        user, org = await auth.register_bidder(
            db_session,
            org_name=data.org_name,
            uscc=data.uscc,
            sme=data.sme,
            username=data.username,
            password=data.password,
            display_name=data.display_name or data.org_name,
            ip=client_ip(request),
            now=clock.now(),
        )
        return BidderSignupOut(
            user_id=user.id, username=user.username, org_id=org.id, uscc=org.uscc
        )


ROUTES = [AuthApi]
