"""JSON API of the trading core: auth tokens, projects and lots, audit log, platform key."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.encoding import b64u_encode
from trading import service
from trading.actor import Actor
from trading.auth import service as auth
from trading.enums import Role
from trading.models import Lot, Project
from trading.schemas import CancelIn, LotOut, ProjectIn, ProjectOut, TransitionOut
from trading.web import client_ip, requires, runtime


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


def lot_out(lot: Lot) -> LotOut:
    return LotOut(
        id=lot.id,
        project_id=lot.project_id,
        number=lot.number,
        title=lot.title,
        state=lot.state,
        budget=lot.budget,
        control_price=lot.control_price,
        bid_security=lot.bid_security,
        docs_issued_at=lot.docs_issued_at,
        bid_deadline=lot.bid_deadline,
        opening_pub=lot.opening_pub,
        award_price=lot.award_price,
    )


def project_out(project: Project, lots: list[Lot]) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        code=project.code,
        title=project.title,
        category=project.category,
        method=project.method,
        center_code=project.center.code,
        region_code=project.region_code,
        sandbox=project.sandbox,
        lots=[lot_out(lot) for lot in lots],
    )


class AuthApi(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012

    @post("/token", status_code=201)
    async def token(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: TokenIn
    ) -> TokenOut:
        rt = runtime(request)
        user = await auth.authenticate(
            db_session,
            data.username,
            data.password,
            ip=client_ip(request),
            now=rt.clock.now(),
            settings=rt.settings,
        )
        token = await auth.issue_api_token(db_session, user, now=rt.clock.now(), name="api")
        return TokenOut(token=token, roles=user.roles)

    @post("/bidders", status_code=201)
    async def register_bidder(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: BidderSignupIn
    ) -> BidderSignupOut:
        """A bidder registers once and may then bid in any center's lots."""
        rt = runtime(request)
        user, org = await auth.register_bidder(
            db_session,
            org_name=data.org_name,
            uscc=data.uscc,
            sme=data.sme,
            username=data.username,
            password=data.password,
            display_name=data.display_name or data.org_name,
            ip=client_ip(request),
            now=rt.clock.now(),
        )
        return BidderSignupOut(
            user_id=user.id, username=user.username, org_id=org.id, uscc=org.uscc
        )


class ProjectApi(Controller):
    path = "/api/v1"
    tags = ["projects"]  # noqa: RUF012

    @get("/lots")
    async def list_lots(
        self,
        db_session: AsyncSession,
        center: Annotated[str | None, Parameter(pattern=r"^\d{6}$")] = None,
        subtree: bool = True,
        category: str | None = None,
        lot_state: Annotated[str | None, Parameter(query="state")] = None,
        q: Annotated[str | None, Parameter(max_length=100)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> list[LotOut]:
        center_ids = None
        if center:
            found = await service.center_by_code(db_session, center)
            center_ids = (
                list(await service.subtree_ids(db_session, found.id)) if subtree else [found.id]
            )
        lots = await service.list_lots(
            db_session,
            center_ids=center_ids,
            category=category,
            state=lot_state,
            q=q,
            limit=limit,
            offset=offset,
        )
        return [lot_out(lot) for lot in lots]

    @get("/projects/{project_id:int}")
    async def get_project(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, project_id: int
    ) -> ProjectOut:
        project = await service.get_project(db_session, project_id, request.user)
        return project_out(project, await service.visible_lots(db_session, request.user, project))

    @post("/projects", guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)], status_code=201)
    async def register(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, data: ProjectIn
    ) -> ProjectOut:
        rt = runtime(request)
        project = await service.register_project(
            db_session, data, request.user, now=rt.clock.now(), settings=rt.settings
        )
        return project_out(project, list(project.lots))

    @post(
        "/lots/{lot_id:int}/publish",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=200,
    )
    async def publish(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> LotOut:
        rt = runtime(request)
        lot = await service.publish_lot(
            db_session, lot_id, request.user, now=rt.clock.now(), settings=rt.settings
        )
        if rt.scheduler is not None:
            rt.scheduler.schedule_opening(lot.id, lot.bid_deadline)
        return lot_out(lot)

    @post(
        "/lots/{lot_id:int}/cancel",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=200,
    )
    async def cancel(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: CancelIn,
    ) -> TransitionOut:
        rt = runtime(request)
        changed = await service.cancel_lot(
            db_session, lot_id, request.user, data.reason, now=rt.clock.now()
        )
        return TransitionOut(lot_id=lot_id, state="cancelled", changed=changed)


@get("/api/v1/platform/key", tags=["platform"])
async def platform_key(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The platform's public keys: verify receipts, tree heads and opening records with them."""
    pub = runtime(request).platform.public()
    return {"sign_pub": b64u_encode(pub.sign_pub), "enc_pub": b64u_encode(pub.enc_pub)}


@get("/healthz", tags=["platform"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


ROUTES = [AuthApi, ProjectApi, platform_key, healthz]
