"""The center workspace (HTML): the dashboard, a center's lots, the lot desk's overview with the
actions its state allows, and the project forms. Staff act for their own center; supervisors
of it or of a center above it read the same pages without the actions."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import bidding.workspace.messages  # noqa: F401  (registers the workspace's strings)
from bidding.workspace import forms
from bidding.workspace import service as workspace
from trading.centers.models import Center
from trading.enums import Category, LotState, Method, PriceBasis, Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError, Forbidden, RuleViolation, ValidationFailed
from trading.kernel.runtime import Runtime
from trading.kernel.web import MAX_ID, check_csrf, page, requires
from trading.parties.service import organization_by_uscc
from trading.projects import drafts, publishing
from trading.projects import service as projects
from trading.projects.models import Lot
from trading.rules.methods import MethodCheck

WORKSPACE = [requires(Role.STAFF, Role.SUPERVISOR)]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
# A lot may be cancelled (terminated) in any state before the award (DESIGN: the lifecycle).
CANCELLABLE = {
    s for s in LotState if s not in (LotState.AWARDED, LotState.CANCELLED, LotState.FAILED)
}


def _done(key: str) -> str:
    """What the redirect after an action says it did (only known keys reach the page)."""
    return key if key in ("saved", "published", "cancelled") else ""


def _acting(read_only: bool) -> None:
    if read_only:
        raise Forbidden("监督人员只能查看 / supervisors read, they do not act")


# ---- dashboard and lot list ------------------------------------------------------------------


@get("/center", name="center_workspace", guards=WORKSPACE)
async def dashboard_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    clock: Clock,
    settings: Settings,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
) -> Template:
    found = await workspace.desk(db_session, request.user, center or None)
    board = await workspace.dashboard(db_session, found.center, now=clock.now(), settings=settings)
    return page(request, "center/dashboard.html", desk=found, board=board)


@get("/center/lots", name="center_lots", guards=WORKSPACE)
async def lots_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    lot_state: Annotated[str | None, Parameter(query="state", max_length=16)] = None,
    page_no: Annotated[int, Parameter(query="page", ge=1, le=MAX_ID)] = 1,
) -> Template:
    found = await workspace.desk(db_session, request.user, center or None)
    state = lot_state if lot_state in {s.value for s in LotState} else None
    lots = await workspace.center_lots(db_session, found.center.id, state=state, page=page_no)
    return page(
        request,
        "center/lots.html",
        desk=found,
        lots=lots,
        state=state or "",
        states=[s.value for s in LotState],
        notice=request.query_params.get("deleted", ""),
    )


# ---- the lot desk: overview and actions ------------------------------------------------------


async def _lot_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    *,
    now: Any,
    settings: Settings,
    status_code: int = 200,
    errors: dict[str, list[workspace.Finding]] | None = None,
    message: str = "",
) -> Template:
    lot, read_only = await workspace.desk_lot(db_session, lot_id, request.user)
    project = await projects.get_project(db_session, lot.project_id, request.user)
    lots = list(project.lots)
    findings = workspace.check_stored(project, lots, now=now, settings=settings)
    index = next(i for i, x in enumerate(lots) if x.id == lot.id)
    mine = [f for f in findings if f.field.startswith(f"lots-{index}-")]
    return page(
        request,
        "center/lot.html",
        status_code=status_code,
        lot=lot,
        project=project,
        center=project.center,
        tenderer=await workspace.tenderer_of(db_session, project),
        read_only=read_only,
        findings=mine,
        all_draft=all(x.state == LotState.DRAFT for x in lots),
        cancellable=lot.state in CANCELLABLE,
        errors=errors or {},
        message=message or _done(request.query_params.get("done", "")),
        tab="overview",
    )


@get("/center/lots/{lot_id:int}", name="center_lot", guards=WORKSPACE)
async def lot_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
) -> Template:
    return await _lot_page(request, db_session, lot_id, now=clock.now(), settings=settings)


@post("/center/lots/{lot_id:int}/publish", guards=WORKSPACE, status_code=303)
async def publish_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: FormData,
    rt: Runtime,
) -> Redirect | Template:
    check_csrf(request, data)
    _lot, read_only = await workspace.desk_lot(db_session, lot_id, request.user)
    _acting(read_only)
    now = rt.clock.now()
    try:
        lot = await publishing.publish_lot(
            db_session, lot_id, request.user, now=now, settings=rt.settings
        )
    except (RuleViolation, ValidationFailed) as exc:
        await db_session.rollback()
        return await _lot_page(
            request,
            db_session,
            lot_id,
            now=now,
            settings=rt.settings,
            status_code=exc.status,
            errors={"publish": [workspace.Finding("publish", exc.message, exc.message)]},
        )
    if rt.scheduler is not None:
        rt.scheduler.schedule_opening(lot.id, lot.bid_deadline)
    return Redirect(f"/center/lots/{lot_id}?done=published", status_code=303)


@post("/center/lots/{lot_id:int}/cancel", guards=WORKSPACE, status_code=303)
async def cancel_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: FormData,
    clock: Clock,
    settings: Settings,
) -> Redirect | Template:
    check_csrf(request, data)
    _lot, read_only = await workspace.desk_lot(db_session, lot_id, request.user)
    _acting(read_only)
    reason = data.get("reason", "").strip()
    if len(reason) < 2:
        finding = workspace.Finding(
            "reason", "请填写终止原因（至少2个字）", "state the reason (at least 2 characters)"
        )
        return await _lot_page(
            request,
            db_session,
            lot_id,
            now=clock.now(),
            settings=settings,
            status_code=422,
            errors={"reason": [finding]},
        )
    try:
        await projects.cancel_lot(db_session, lot_id, request.user, reason[:2000], now=clock.now())
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        await db_session.rollback()
        return await _lot_page(
            request,
            db_session,
            lot_id,
            now=clock.now(),
            settings=settings,
            status_code=exc.status,
            errors={"reason": [workspace.Finding("reason", exc.message, exc.message)]},
        )
    return Redirect(f"/center/lots/{lot_id}?done=cancelled", status_code=303)


# ---- the project form ------------------------------------------------------------------------


def _choices() -> dict[str, list[str]]:
    return {
        "categories": [c.value for c in Category],
        "methods": [m.value for m in Method],
        "bases": [b.value for b in PriceBasis],
    }


async def _form_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center: Center,
    form: forms.Form,
    *,
    project: Any = None,
    checked: bool = False,
    status_code: int = 200,
) -> Template:
    uscc = form.values.get("tenderer_uscc", "")
    named = await organization_by_uscc(db_session, uscc) if len(uscc) == 18 else None
    return page(
        request,
        "center/project_form.html",
        status_code=status_code,
        center=center,
        project=project,
        form=form,
        named=named,
        checked=checked,
        tz_name=center.timezone,
        **_choices(),
    )


async def _staff_center(db_session: AsyncSession, actor: Actor) -> Center:
    found = await workspace.desk(db_session, actor)
    _acting(found.read_only)
    return found.center


@get("/center/projects/new", name="center_project_new", guards=WORKSPACE)
async def new_project_page(request: Request[Actor, Any, Any], db_session: AsyncSession) -> Template:
    center = await _staff_center(db_session, request.user)
    return await _form_page(request, db_session, center, forms.blank())


async def _submit(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    data: dict[str, str],
    center: Center,
    *,
    now: Any,
    settings: Settings,
    method_check: MethodCheck,
    project: Any = None,
) -> Redirect | Template:
    """Check, add a lot row, or save: only a form without a problem is written."""
    check_csrf(request, data)
    form = forms.posted(data)
    action = data.get("action", "save")
    if action == "add_lot" and form.lots < forms.MAX_LOTS:
        form.lots += 1
        return await _form_page(request, db_session, center, form, project=project)
    body = forms.read(form, ZoneInfo(center.timezone), center.code)
    if body is not None:
        checks = workspace.check_draft(
            body, center, now=now, settings=settings, method_check=method_check
        )
        for finding in checks:
            form.add(finding)
    if form.errors or action == "check":
        status = 422 if form.errors else 200
        return await _form_page(
            request, db_session, center, form, project=project, checked=True, status_code=status
        )
    assert body is not None
    try:
        if project is None:
            saved = await drafts.register_project(
                db_session,
                body,
                request.user,
                now=now,
                settings=settings,
                method_check=method_check,
            )
        else:
            saved = await drafts.update_draft(
                db_session, project.id, body, request.user, now=now, method_check=method_check
            )
    except ValidationFailed as exc:
        # The refused transaction expired what the session held: read it again.
        center_id, project_id = center.id, project.id if project is not None else None
        await db_session.rollback()
        center = await db_session.get_one(Center, center_id)
        if project_id is not None:
            project = await projects.get_project(db_session, project_id, request.user)
        forms.refusal(form, exc)
        return await _form_page(
            request, db_session, center, form, project=project, status_code=exc.status
        )
    first = min(saved.lots, key=lambda x: x.number)
    return Redirect(f"/center/lots/{first.id}?done=saved", status_code=303)


@post("/center/projects/new", guards=WORKSPACE, status_code=303)
async def new_project_submit(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    data: FormData,
    clock: Clock,
    settings: Settings,
    method_check: MethodCheck,
) -> Redirect | Template:
    center = await _staff_center(db_session, request.user)
    return await _submit(
        request,
        db_session,
        data,
        center,
        now=clock.now(),
        settings=settings,
        method_check=method_check,
    )


async def _draft(
    db_session: AsyncSession, actor: Actor, project_id: int
) -> tuple[Any, list[Lot], Center]:
    project = await projects.get_project(db_session, project_id, actor)
    lot, read_only = await workspace.desk_lot(db_session, project.lots[0].id, actor)
    _acting(read_only)
    return project, list(project.lots), lot.project.center


@get("/center/projects/{project_id:int}/edit", name="center_project_edit", guards=WORKSPACE)
async def edit_project_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    project_id: int,
    clock: Clock,
    settings: Settings,
) -> Template:
    project, lots, center = await _draft(db_session, request.user, project_id)
    tenderer = await workspace.tenderer_of(db_session, project)
    form = forms.from_project(
        project, tenderer.uscc if tenderer else "", lots, ZoneInfo(center.timezone)
    )
    # What the stored draft breaks now, shown before anyone tries to publish it.
    for finding in workspace.check_stored(project, lots, now=clock.now(), settings=settings):
        form.add(finding)
    return await _form_page(request, db_session, center, form, project=project, checked=True)


@post("/center/projects/{project_id:int}/edit", guards=WORKSPACE, status_code=303)
async def edit_project_submit(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    project_id: int,
    data: FormData,
    clock: Clock,
    settings: Settings,
    method_check: MethodCheck,
) -> Redirect | Template:
    project, _lots, center = await _draft(db_session, request.user, project_id)
    return await _submit(
        request,
        db_session,
        data,
        center,
        now=clock.now(),
        settings=settings,
        method_check=method_check,
        project=project,
    )


@post("/center/projects/{project_id:int}/delete", guards=WORKSPACE, status_code=303)
async def delete_project_submit(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    project_id: int,
    data: FormData,
    clock: Clock,
) -> Redirect:
    check_csrf(request, data)
    project, _lots, _center = await _draft(db_session, request.user, project_id)
    code = project.code
    await drafts.delete_draft(db_session, project_id, request.user, now=clock.now())
    return Redirect(f"/center/lots?deleted={code}", status_code=303)


ROUTES: list[Any] = [
    dashboard_page,
    lots_page,
    lot_page,
    publish_page,
    cancel_page,
    new_project_page,
    new_project_submit,
    edit_project_page,
    edit_project_submit,
    delete_project_submit,
]
