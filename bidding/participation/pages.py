"""The lot desk's documents and questions tabs (center workspace): tender documents with
their digests, amendments and clarifications (变更/澄清), answers to bidders' questions.

Every form posts here and calls the same service function as the JSON API
(bidding/participation/api.py); a refusal re-renders the tab with the message by its field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import bidding.participation.messages  # noqa: F401  (registers the tabs' strings)
from bidding.participation import amendments
from bidding.participation import service as participation
from bidding.participation.models import Question
from trading.announcements.models import Announcement, AnnouncementKind
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore, StagedBlob
from trading.kernel.clock import Clock
from trading.kernel.errors import DomainError, NotFound
from trading.kernel.runtime import Runtime
from trading.kernel.web import check_csrf, page, requires
from trading.projects.desk import DESK_ROLES, acting_lot, center_local, desk_lot, field_errors
from trading.projects.models import Lot
from trading.projects.publishing import effective_ruleset, lot_plan
from trading.rules.engine import amendment_moves_deadline

AMEND_FIELDS = ("title", "body", "new_deadline", "attachment")
TITLE_MAX, BODY_MAX = 300, 20000  # as the API's AmendmentIn
DONE = {"uploaded", "amended", "moved", "answered"}


async def _upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 20):
        yield chunk


def _upload(form: Any, name: str) -> UploadFile | None:
    """The form's file under `name`, or None when none was chosen (browsers send an empty part)."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


async def _stage(upload: UploadFile, blobs: LocalBlobStore) -> StagedBlob:
    return await blobs.stage(_upload_chunks(upload), max_size=participation.MAX_DOCUMENT_BYTES)


# ---- documents, amendments -----------------------------------------------------------------


async def _amendments(session: AsyncSession, lot_id: int) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement)
        .where(
            Announcement.lot_id == lot_id,
            Announcement.kind == AnnouncementKind.AMENDMENT,
            Announcement.published_at.is_not(None),
        )
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
    )
    return list(rows.all())


def _amend_rule(lot: Lot, rt: Runtime, now: datetime) -> dict[str, Any]:
    """The clarification period (法 23, 条例 21) as it stands now: its citation and, when an
    amendment affecting bids issued now comes too late, the earliest deadline it forces."""
    ruleset = effective_ruleset(lot.project, lot.project.center, rt.settings)
    rule = ruleset.get("clarification_days")
    required = None
    if rule is not None and lot.state == LotState.ANNOUNCED and now < lot.bid_deadline:
        required = amendment_moves_deadline(
            lot_plan(lot.project, lot),
            now,
            ruleset,
            tz=ZoneInfo(lot.project.center.timezone),
            sandbox_factor=lot.project.accelerator,
        )
    return {"rule": rule, "required": required}


async def _documents_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    rt: Runtime,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    lot, can_act = await desk_lot(session, lot_id, request.user)
    now = rt.clock.now()
    done = request.query_params.get("done")
    return page(
        request,
        "center/documents.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        tab="documents",
        can_act=can_act,
        open_for_changes=lot.state in (LotState.DRAFT, LotState.ANNOUNCED)
        and now < lot.bid_deadline,
        can_amend=lot.state == LotState.ANNOUNCED and now < lot.bid_deadline,
        documents=await participation.documents(session, lot.id, request.user),
        amendments=await _amendments(session, lot.id),
        check=_amend_rule(lot, rt, now),
        errors=errors or {},
        values=values or {"affects_bids": True},
        done=done if done in DONE else "",
        local=center_local(lot),
        tz=lot.project.center.timezone,
    )


@get("/center/lots/{lot_id:int}/documents", name="desk_documents", guards=[requires(*DESK_ROLES)])
async def documents_tab(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
) -> Template:
    return await _documents_page(request, db_session, lot_id, rt)


@post(
    "/center/lots/{lot_id:int}/documents",
    guards=[requires(*DESK_ROLES)],
    status_code=200,
    request_max_body_size=participation.MAX_DOCUMENT_BYTES,
)
async def upload_document(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    rt: Runtime,
    blobs: LocalBlobStore,
    clock: Clock,
) -> Template | Redirect:
    """The upload form (multipart): the same `add_document` as POST /api/v1/lots/{id}/documents."""
    form = await request.form()
    check_csrf(request, form)
    await acting_lot(db_session, lot_id, request.user)
    upload = _upload(form, "file")
    try:
        if upload is None:
            raise _Missing("file")
        name = participation.check_document_name(upload.filename)
        staged = await _stage(upload, blobs)
        await participation.add_document(
            db_session,
            lot_id,
            request.user,
            name,
            staged,
            blobs,
            now=clock.now(),
            content_type=upload.content_type or "application/octet-stream",
        )
    except _Missing:
        return await _documents_page(
            request, db_session, lot_id, rt, errors={"file": _MISSING}, status_code=422
        )
    except DomainError as exc:
        return await _documents_page(
            request, db_session, lot_id, rt, errors={"file": exc.message}, status_code=exc.status
        )
    return Redirect(f"/center/lots/{lot_id}/documents?done=uploaded", status_code=303)


class _Missing(Exception):
    """A required form field left empty."""


_MISSING = "请选择文件 / choose a file"


def _parse_deadline(raw: str, lot: Lot) -> datetime | None:
    """A datetime-local value read in the lot's center's zone; empty means none."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise _BadDeadline from None
    if naive.tzinfo is not None:
        raise _BadDeadline
    return naive.replace(tzinfo=ZoneInfo(lot.project.center.timezone))


class _BadDeadline(Exception):
    pass


@post(
    "/center/lots/{lot_id:int}/amendments",
    guards=[requires(*DESK_ROLES)],
    status_code=200,
    request_max_body_size=participation.MAX_DOCUMENT_BYTES,
)
async def post_amendment(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    rt: Runtime,
    blobs: LocalBlobStore,
) -> Template | Redirect:
    """变更/澄清: the same `amend` as POST /api/v1/lots/{id}/amendments; an attachment becomes a
    tender document of the lot and the announcement cites its digest."""
    form = await request.form()
    check_csrf(request, form)
    lot = await acting_lot(db_session, lot_id, request.user)
    values = {
        "title": str(form.get("title") or "").strip(),
        "body": str(form.get("body") or ""),
        "affects_bids": form.get("affects_bids") == "on",
        "new_deadline": str(form.get("new_deadline") or ""),
    }
    errors: dict[str, str] = {}
    if not 2 <= len(values["title"]) <= TITLE_MAX:
        errors["title"] = f"标题应为2至{TITLE_MAX}字 / 2 to {TITLE_MAX} characters"
    if len(values["body"]) > BODY_MAX:
        errors["body"] = f"正文最多{BODY_MAX}字 / at most {BODY_MAX} characters"
    deadline = None
    try:
        deadline = _parse_deadline(values["new_deadline"], lot)
    except _BadDeadline:
        errors["new_deadline"] = "日期时间格式无效 / not a valid date and time"
    attachment = _upload(form, "attachment")
    name = ""
    if attachment is not None:
        try:
            name = participation.check_document_name(attachment.filename)
        except DomainError as exc:
            errors["attachment"] = exc.message
    if errors:
        return await _documents_page(
            request, db_session, lot_id, rt, errors=errors, values=values, status_code=422
        )
    staged = await _stage(attachment, blobs) if attachment is not None else None
    body = values["body"]
    if staged is not None:
        body += f"\n附件 / attachment：{name}（SHA-256 {staged.sha256}，{staged.size} 字节）"
    try:
        lot, moved_from = await amendments.amend(
            db_session,
            lot_id,
            request.user,
            title=values["title"],
            body=body,
            affects_bids=bool(values["affects_bids"]),
            new_deadline=deadline,
            clock=rt.clock,
            settings=rt.settings,
        )
    except DomainError as exc:
        if staged is not None:
            blobs.discard(staged)
        return await _documents_page(
            request,
            db_session,
            lot_id,
            rt,
            errors=field_errors(exc.message, AMEND_FIELDS),
            values=values,
            status_code=exc.status,
        )
    if moved_from is not None and rt.scheduler is not None:
        rt.scheduler.schedule_opening(lot.id, lot.bid_deadline)  # the job moves with it
    if staged is not None:
        await participation.add_document(
            db_session,
            lot_id,
            request.user,
            name,
            staged,
            blobs,
            now=rt.clock.now(),
            content_type=attachment.content_type if attachment else "application/octet-stream",
        )
    done = "moved" if moved_from is not None else "amended"
    return Redirect(f"/center/lots/{lot_id}/documents?done={done}", status_code=303)


# ---- questions -----------------------------------------------------------------------------


async def _questions_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    clock: Clock,
    *,
    errors: dict[int, str] | None = None,
    drafts: dict[int, str] | None = None,
    status_code: int = 200,
) -> Template:
    lot, can_act = await desk_lot(session, lot_id, request.user)
    now = clock.now()
    questions = await participation.all_questions(session, lot.id, request.user)
    done = request.query_params.get("done")
    return page(
        request,
        "center/questions.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        tab="questions",
        can_act=can_act,
        can_answer=lot.state == LotState.ANNOUNCED and now < lot.bid_deadline,
        questions=questions,
        unanswered=sum(1 for q in questions if q.answer is None),
        errors=errors or {},
        drafts=drafts or {},
        done=done if done in DONE else "",
        local=center_local(lot),
        tz=lot.project.center.timezone,
    )


@get("/center/lots/{lot_id:int}/questions", name="desk_questions", guards=[requires(*DESK_ROLES)])
async def questions_tab(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template:
    return await _questions_page(request, db_session, lot_id, clock)


@post(
    "/center/lots/{lot_id:int}/questions/{question_id:int}/answer",
    guards=[requires(*DESK_ROLES)],
    status_code=200,
)
async def answer_question(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    question_id: int,
    clock: Clock,
) -> Template | Redirect:
    """The answer form: the same `answer` as POST /api/v1/questions/{id}/answer."""
    form = await request.form()
    check_csrf(request, form)
    await acting_lot(db_session, lot_id, request.user)
    question = await db_session.get(Question, question_id)
    if question is None or question.lot_id != lot_id:
        raise NotFound(f"问题 {question_id} 不存在 / question not found")
    text = str(form.get("text") or "")
    if question.answer is not None:
        errors = {question_id: "该问题已答复 / this question is already answered"}
        return await _questions_page(
            request, db_session, lot_id, clock, errors=errors, status_code=409
        )
    try:
        await participation.answer(db_session, question_id, request.user, text, now=clock.now())
    except DomainError as exc:
        message = exc.message.removeprefix("text: ")
        return await _questions_page(
            request,
            db_session,
            lot_id,
            clock,
            errors={question_id: message},
            drafts={question_id: text},
            status_code=exc.status,
        )
    return Redirect(f"/center/lots/{lot_id}/questions?done=answered", status_code=303)


ROUTES = [documents_tab, upload_document, post_amendment, questions_tab, answer_question]
