"""Projects and lots JSON API: list, register, edit or delete a draft, publish against the
rules, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from trading.centers import service as centers
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.runtime import Runtime
from trading.kernel.web import MAX_ID, requires
from trading.projects import drafts, publishing
from trading.projects import service as projects
from trading.projects.models import Lot, Project
from trading.projects.schemas import CancelIn, LotOut, ProjectIn, ProjectOut, TransitionOut
from trading.rules.methods import MethodCheck


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
        decrypt_window_minutes=lot.decrypt_window_minutes,
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
        offset: Annotated[int, Parameter(ge=0, le=MAX_ID)] = 0,  # beyond it no driver takes it
    ) -> list[LotOut]:
        center_ids = None
        if center:
            found = await centers.center_by_code(db_session, center)
            center_ids = (
                list(await centers.subtree_ids(db_session, found.id)) if subtree else [found.id]
            )
        lots = await projects.list_lots(
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
        project = await projects.get_project(db_session, project_id, request.user)
        return project_out(project, await projects.visible_lots(db_session, request.user, project))

    @post("/projects", guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)], status_code=201)
    async def register(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        data: ProjectIn,
        clock: Clock,
        settings: Settings,
        method_check: MethodCheck,
    ) -> ProjectOut:
        """Register a project with draft lots. Each lot's evaluation method must be one its
        ruleset allows and its parameters must parse: else 422 naming
        `lots[i].evaluation_method` or `lots[i].evaluation_params.<key>`, with the citation.
        The tie-break seed is no parameter (derived from the signed opening record)."""
        project = await drafts.register_project(
            db_session,
            data,
            request.user,
            now=clock.now(),
            settings=settings,
            method_check=method_check,
        )
        return project_out(project, list(project.lots))

    @put("/projects/{project_id:int}", guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)])
    async def update_draft(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        project_id: int,
        data: ProjectIn,
        clock: Clock,
        method_check: MethodCheck,
    ) -> ProjectOut:
        """Replace a draft project's fields and lots (lot i of the body is lot number i; lots
        beyond the body's are deleted). 409 once any of its lots has been published; 422 for
        an evaluation method or parameter refused as at registration."""
        project = await drafts.update_draft(
            db_session, project_id, data, request.user, now=clock.now(), method_check=method_check
        )
        return project_out(project, list(project.lots))

    @delete(
        "/projects/{project_id:int}",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=204,
    )
    async def delete_draft(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        project_id: int,
        clock: Clock,
    ) -> None:
        """Delete a draft project, its lots and their documents. 409 once any lot of it has
        been published; its project code is never handed out again."""
        await drafts.delete_draft(db_session, project_id, request.user, now=clock.now())

    @post(
        "/lots/{lot_id:int}/publish",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=200,
    )
    async def publish(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
    ) -> LotOut:
        lot = await publishing.publish_lot(
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
        clock: Clock,
    ) -> TransitionOut:
        changed = await projects.cancel_lot(
            db_session, lot_id, request.user, data.reason, now=clock.now()
        )
        return TransitionOut(lot_id=lot_id, state="cancelled", changed=changed)


ROUTES = [ProjectApi]
