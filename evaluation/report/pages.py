"""The evaluation report's pages: the members' `/expert/lots/{id}/report` (read, sign with a
dissenting opinion, the chair opens a re-evaluation) and the lot desk's
`/center/lots/{id}/evaluation/report` (staff read and open a re-evaluation; supervisors above
read); the PDF of either. Each form calls the same service function as the JSON API
(evaluation/report/api.py); a refused form re-renders the page with the message, nothing
written. `?version=N` shows an older version."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import evaluation.report.messages  # noqa: F401  (registers the pages' strings)
from evaluation.report import reevaluation, service
from evaluation.report.pdf import render_report_pdf
from evaluation.scoring.pages import key_context
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.errors import DomainError, ValidationFailed
from trading.kernel.web import check_csrf, page, requires
from trading.projects.desk import DESK_ROLES, center_local

EXPERT = [requires(Role.EVALUATOR)]
DESK = [requires(*DESK_ROLES)]
DONE = {"finalised", "signed", "reopened"}


def _version(request: Request[Actor, Any, Any]) -> int | None:
    raw = request.query_params.get("version", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise ValidationFailed("version: 应为版本号 / must be a version number")
    return int(raw)


def _context(request: Request[Actor, Any, Any], view: service.ReportView) -> dict[str, Any]:
    done = request.query_params.get("done", "")
    return {
        "v": view,
        "lot": view.lot,
        "doc": view.report.document,
        "cases": reevaluation.CASES,
        "citation": reevaluation.CITATION,
        "done": done if done in DONE else "",
        "dec": _dec,
    }


def _dec(value: object) -> Decimal | None:
    """A document's amount (a decimal string) for `money()`."""
    return None if value in (None, "") else Decimal(str(value))


async def _member_page(
    request: Request[Actor, Any, Any], session: AsyncSession, lot_id: int, *,
    error: str = "", status_code: int = 200, form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    view, s = await service.member_view(session, request.user, lot_id, _version(request))
    mine = next(r for r in view.signatures if r.position == s.member.position)
    can_sign = view.current and view.reopened is None and not mine.signed
    return page(
        request, "expert/report.html", status_code=status_code, s=s, mine=mine,
        can_sign=can_sign, error=error, form=form or {}, **_context(request, view),
        **(key_context(request) if can_sign else {}),
    )  # fmt: skip


@get("/expert/lots/{lot_id:int}/report", name="expert_report", guards=EXPERT)
async def member_report(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    return await _member_page(request, db_session, lot_id)


@post("/expert/lots/{lot_id:int}/report/sign", guards=EXPERT, status_code=200)
async def sign_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template | Redirect:
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(v) for k, v in raw.items() if k != "_csrf"}
    try:
        version = form.get("version", "")
        if not version.isdigit() or len(version) > 6:
            raise ValidationFailed("version: 应为版本号 / must be a version number")
        await service.sign(
            db_session, request.user, lot_id, int(version), form.get("signature", ""),
            form.get("dissent", ""), now=clock.now(),
        )  # fmt: skip
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        return await _member_page(
            request, db_session, lot_id, error=exc.message, status_code=exc.status, form=form
        )
    return Redirect(f"/expert/lots/{lot_id}/report?done=signed", status_code=303)


async def _open(
    request: Request[Actor, Any, Any], session: AsyncSession, lot_id: int, clock: Clock
) -> tuple[dict[str, str], DomainError | None]:
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(v) for k, v in raw.items() if k != "_csrf"}
    try:
        await reevaluation.open_re_evaluation(
            session, request.user, lot_id, form.get("case", ""), form.get("reason", ""),
            now=clock.now(),
        )  # fmt: skip
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        return form, exc
    return form, None


@post("/expert/lots/{lot_id:int}/report/re-evaluation", guards=EXPERT, status_code=200)
async def member_re_evaluation(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template | Redirect:
    """The chair opens a re-evaluation (87号令 第64条 cases only)."""
    form, failed = await _open(request, db_session, lot_id, clock)
    if failed is not None:
        return await _member_page(
            request, db_session, lot_id, error=failed.message, status_code=failed.status, form=form
        )
    return Redirect(f"/expert/lots/{lot_id}/report?done=reopened", status_code=303)


async def _desk_page(
    request: Request[Actor, Any, Any], session: AsyncSession, lot_id: int, *,
    error: str = "", status_code: int = 200, form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    view, can_act = await service.desk_view(session, request.user, lot_id, _version(request))
    return page(
        request, "center/evaluation_report.html", status_code=status_code, can_act=can_act,
        project=view.lot.project, tab="evaluation", error=error, form=form or {},
        local=center_local(view.lot), tz=view.lot.project.center.timezone,
        **_context(request, view),
    )  # fmt: skip


@get("/center/lots/{lot_id:int}/evaluation/report", name="desk_report", guards=DESK)
async def desk_report(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    return await _desk_page(request, db_session, lot_id)


@post("/center/lots/{lot_id:int}/evaluation/report/re-evaluation", guards=DESK, status_code=200)
async def desk_re_evaluation(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template | Redirect:
    """Staff of the lot's center open a re-evaluation (87号令 第64条 cases only)."""
    form, failed = await _open(request, db_session, lot_id, clock)
    if failed is not None:
        return await _desk_page(
            request, db_session, lot_id, error=failed.message, status_code=failed.status, form=form
        )
    return Redirect(f"/center/lots/{lot_id}/evaluation/report?done=reopened", status_code=303)


async def _pdf(view: service.ReportView) -> Response[bytes]:
    # reportlab is CPU-bound: keep the event loop free.
    pdf = await asyncio.to_thread(render_report_pdf, view)
    name = f"evaluation-report-lot-{view.lot.id}-v{view.report.version}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@get("/expert/lots/{lot_id:int}/report.pdf", guards=EXPERT)
async def member_pdf(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Response[bytes]:
    view, _ = await service.member_view(db_session, request.user, lot_id, _version(request))
    return await _pdf(view)


@get("/center/lots/{lot_id:int}/evaluation/report.pdf", guards=DESK)
async def desk_pdf(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Response[bytes]:
    view, _ = await service.desk_view(db_session, request.user, lot_id, _version(request))
    return await _pdf(view)


ROUTES = [
    member_report,
    sign_form,
    member_re_evaluation,
    desk_report,
    desk_re_evaluation,
    member_pdf,
    desk_pdf,
]
