"""Auth JSON API: bearer tokens and bidder self-registration."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from sqlalchemy.ext.asyncio import AsyncSession

from trading.auth import service as auth
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.web import client_ip


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


class AuthApi(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012

    @post("/token", status_code=201)
    async def token(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: TokenIn,
        clock: Clock,
        settings: Settings,
    ) -> TokenOut:
        user = await auth.authenticate(
            db_session,
            data.username,
            data.password,
            ip=client_ip(request),
            now=clock.now(),
            settings=settings,
        )
        token = await auth.issue_api_token(db_session, user, now=clock.now(), name="api")
        return TokenOut(token=token, roles=user.roles)

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
