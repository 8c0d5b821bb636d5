"""Clarification pages: the committee's `/expert/lots/{id}/clarifications` (ask, the chair sends,
read answers) and the bidder's `/bidder/clarifications` (read, answer once). Each form calls the
same service function as the JSON API; a refused form re-renders with the message, nothing
written. Here rather than in bidding: bidding may not import evaluation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import evaluation.clarify.messages  # noqa: F401  (registers the pages' strings)
from evaluation.clarify import service
from evaluation.scoring import service as scoring
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore, off_loop
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import Conflict, ValidationFailed
from trading.kernel.web import check_csrf, page, requires

EXPERT = [requires(Role.EVALUATOR)]
BIDDER = [requires(Role.BIDDER)]
DONE = {"asked", "sent", "answered"}
INPUT_TIME = "%Y-%m-%dT%H:%M"


def _when(raw: str, settings: Settings) -> datetime | None:
    """A datetime-local field, typed on the platform's wall clock."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("answer_by: 时间格式应为 年-月-日T时:分 / YYYY-MM-DDTHH:MM") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
    return moment.astimezone(UTC)


def _done(request: Request[Actor, Any, Any]) -> str:
    done = request.query_params.get("done", "")
    return done if done in DONE else ""


# ---- the committee -----------------------------------------------------------------------------


async def _committee_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    d = await scoring.desk(session, request.user, lot_id)
    _, views = await service.for_committee(session, request.user, lot_id)
    s = d.seat
    working = s.final is None and s.lot.state in scoring.WORKING and s.sheet is not None
    return page(
        request, "expert/_clarify.html", status_code=status_code, d=d, s=s, lot=s.lot,
        views=views, working=working, error=error, form=form or {}, done=_done(request),
    )  # fmt: skip


@get("/expert/lots/{lot_id:int}/clarifications", name="expert_clarifications", guards=EXPERT)
async def committee_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    return await _committee_page(request, db_session, lot_id)


@post("/expert/lots/{lot_id:int}/clarifications", guards=EXPERT, status_code=200)
async def ask_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock,
    settings: Settings,
) -> Template | Redirect:  # fmt: skip
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(v) for k, v in raw.items() if k != "_csrf"}
    try:
        await service.ask(
            db_session, request.user, lot_id, form.get("bid", ""), form.get("question", ""),
            now=clock.now(), answer_by=_when(form.get("answer_by", ""), settings),
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        return await _committee_page(
            request, db_session, lot_id, error=exc.message, form=form, status_code=exc.status
        )
    return Redirect(f"/expert/lots/{lot_id}/clarifications?done=asked", status_code=303)


@post(
    "/expert/lots/{lot_id:int}/clarifications/{clarification_id:int}/send",
    guards=EXPERT,
    status_code=200,
)
async def send_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
    clarification_id: int, clock: Clock, settings: Settings,
) -> Template | Redirect:  # fmt: skip
    raw = await request.form()
    check_csrf(request, raw)
    try:
        await service.send(
            db_session, request.user, lot_id, clarification_id,
            _when(str(raw.get("answer_by") or ""), settings), now=clock.now(),
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        return await _committee_page(
            request, db_session, lot_id, error=exc.message, status_code=exc.status
        )
    return Redirect(f"/expert/lots/{lot_id}/clarifications?done=sent", status_code=303)


@get(
    "/expert/lots/{lot_id:int}/clarifications/{clarification_id:int}/file",
    guards=EXPERT,
    name="clarification_file",
)
async def answer_file(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
    clarification_id: int, blobs: LocalBlobStore,
) -> Response[bytes]:  # fmt: skip
    """The answer's file for the committee; on a masked 暗标 lot under the letter's name."""
    sha, name = await service.answer_file(db_session, request.user, lot_id, clarification_id)

    def read() -> bytes:
        with blobs.open(sha) as f:
            return f.read()

    return Response(
        await off_loop(read),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="clarification-{clarification_id}";'
            f" filename*=UTF-8''{quote(name)}",
            "X-Content-SHA256": sha,
        },
    )


# ---- the bidder --------------------------------------------------------------------------------


async def _bidder_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    clock: Clock,
    *,
    error: str = "",
    error_id: int | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    views = await service.for_bidder(session, request.user)
    return page(
        request, "bidder/clarifications.html", status_code=status_code, views=views,
        now=clock.now(), error=error, error_id=error_id, form=form or {}, done=_done(request),
    )  # fmt: skip


@get("/bidder/clarifications", name="bidder_clarifications", guards=BIDDER)
async def bidder_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock
) -> Template:
    return await _bidder_page(request, db_session, clock)


@post("/bidder/clarifications/{clarification_id:int}/answer", guards=BIDDER, status_code=200)
async def answer_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clarification_id: int,
    clock: Clock, blobs: LocalBlobStore,
) -> Template | Redirect:  # fmt: skip
    raw = await request.form()
    check_csrf(request, raw)
    text = str(raw.get("answer") or "")
    upload = raw.get("file")
    try:
        file = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(service.MAX_FILE_BYTES + 1)
            file = (upload.filename, data)
        await service.answer(
            db_session, request.user, clarification_id, text, now=clock.now(), blobs=blobs,
            file=file,
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        return await _bidder_page(
            request, db_session, clock, error=exc.message, error_id=clarification_id,
            form={"answer": text}, status_code=exc.status,
        )  # fmt: skip
    return Redirect("/bidder/clarifications?done=answered", status_code=303)


ROUTES = [committee_page, ask_form, send_form, answer_file, bidder_page, answer_form]
