"""Participation JSON API: registration, documents, questions, amendments, bid security."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

from litestar import Controller, Request, get, post, put
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation import amendments, inbox
from bidding.participation import service as participation
from bidding.participation.models import BidSecurity, Question
from bidding.participation.schemas import (
    AmendmentIn,
    AmendmentOut,
    AnswerIn,
    DocumentOut,
    NoticeOut,
    QuestionIn,
    QuestionOut,
    RegistrationOut,
    SecurityIn,
    SecurityOut,
    StandingOut,
)
from bidding.participation.standing import standing
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.runtime import Runtime
from trading.kernel.web import requires
from trading.projects.models import Document
from trading.projects.service import get_lot


class ParticipationApi(Controller):
    """Before sealing: registration, documents, questions, amendments, bid security, notices."""

    path = "/api/v1"
    tags = ["participation"]  # noqa: RUF012

    @post("/lots/{lot_id:int}/registration", guards=[requires(Role.BIDDER)], status_code=200)
    async def register(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        clock: Clock,
    ) -> RegistrationOut:
        reg = await participation.register(
            db_session, lot_id, request.user, now=clock.now(), clock=clock
        )
        return RegistrationOut(lot_id=reg.lot_id, registered_at=reg.registered_at)

    @post(
        "/lots/{lot_id:int}/documents",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=201,
        request_max_body_size=participation.MAX_DOCUMENT_BYTES,
    )
    async def add_document(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        blobs: LocalBlobStore,
        clock: Clock,
    ) -> DocumentOut:
        """Body: the file (any type); header X-File-Name: its name (percent-encoded UTF-8)."""
        name = unquote(request.headers.get(FILE_NAME_HEADER, ""))
        participation.check_document_name(name)
        await get_lot(db_session, lot_id, request.user)
        staged = await blobs.stage(request.stream(), max_size=participation.MAX_DOCUMENT_BYTES)
        doc = await participation.add_document(
            db_session,
            lot_id,
            request.user,
            name,
            staged,
            blobs,
            now=clock.now(),
            content_type=request.headers.get("content-type", "application/octet-stream"),
        )
        return document_out(doc)

    @get("/lots/{lot_id:int}/documents")
    async def list_documents(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[DocumentOut]:
        return [
            document_out(d) for d in await participation.documents(db_session, lot_id, request.user)
        ]

    @get("/documents/{document_id:int}", media_type="application/octet-stream")
    async def download(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        document_id: int,
        blobs: LocalBlobStore,
        clock: Clock,
    ) -> Stream:
        doc, fh = await participation.open_document(
            db_session, document_id, request.user, blobs, now=clock.now()
        )
        return Stream(
            _chunks(fh),
            media_type=doc.content_type,
            headers={
                "content-disposition": f"attachment; filename*=UTF-8''{quote(doc.name)}",
                "x-content-sha256": doc.sha256,
            },
        )

    @post("/lots/{lot_id:int}/questions", guards=[requires(Role.BIDDER)], status_code=201)
    async def ask(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: QuestionIn,
        clock: Clock,
    ) -> QuestionOut:
        q = await participation.ask(db_session, lot_id, request.user, data.text, now=clock.now())
        return question_out(q)

    @post(
        "/questions/{question_id:int}/answer",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=200,
    )
    async def answer(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        question_id: int,
        data: AnswerIn,
        clock: Clock,
    ) -> QuestionOut:
        q = await participation.answer(
            db_session, question_id, request.user, data.text, now=clock.now()
        )
        return question_out(q)

    @get("/lots/{lot_id:int}/questions")
    async def questions(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[QuestionOut]:
        rows = await participation.public_questions(db_session, lot_id, request.user)
        return [question_out(q) for q in rows]

    @post(
        "/lots/{lot_id:int}/amendments",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=201,
    )
    async def amend(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: AmendmentIn,
        rt: Runtime,
    ) -> AmendmentOut:
        lot, moved_from = await amendments.amend(
            db_session,
            lot_id,
            request.user,
            title=data.title,
            body=data.body,
            affects_bids=data.affects_bids,
            new_deadline=data.new_deadline,
            clock=rt.clock,
            settings=rt.settings,
        )
        if moved_from is not None and rt.scheduler is not None:
            rt.scheduler.schedule_opening(lot.id, lot.bid_deadline)  # the job moves with it
        return AmendmentOut(
            lot_id=lot.id, bid_deadline=lot.bid_deadline, deadline_moved=moved_from is not None
        )

    @put("/lots/{lot_id:int}/security", guards=[requires(Role.BIDDER)])
    async def lodge_security(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: SecurityIn,
        clock: Clock,
        settings: Settings,
    ) -> SecurityOut:
        s = await participation.record_security(
            db_session,
            lot_id,
            request.user,
            amount=data.amount,
            form=data.form,
            reference=data.reference,
            now=clock.now(),
            settings=settings,
        )
        return security_out(s)

    @get("/lots/{lot_id:int}/participation", guards=[requires(Role.BIDDER)])
    async def standing(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        clock: Clock,
        settings: Settings,
    ) -> StandingOut:
        """Registration (报名) and bid security: what the lot requires (with the rules'
        citations), what the caller's company has done, and whether it may bid now."""
        lot = await get_lot(db_session, lot_id, request.user)
        s = await standing(db_session, lot, request.user, settings, clock.now())
        rule = s.terms.registration
        return StandingOut(
            lot_id=lot.id,
            registration_required=rule is not None,
            registration_citation=rule.citation if rule else None,
            security_required=s.terms.security,
            security_citation=s.terms.security_citation,
            registered_at=s.registration.registered_at if s.registration else None,
            security=security_out(s.security) if s.security else None,
            registration_open=s.registration_open,
            registration_closes=s.registration_closes,
            may_bid=s.refusal is None,
            refusal=s.refusal,
        )

    @get("/me/notices", guards=[requires(Role.BIDDER)])
    async def notices(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession
    ) -> list[NoticeOut]:
        """Notices of the lots the bidder registered for, and its award letters (kind
        ``award_letter`` / ``result_letter``, ``href`` the PDF; the id is the letter's)."""
        rows = await inbox.notices(db_session, request.user)
        return [NoticeOut(**vars(n)) for n in rows]


FILE_NAME_HEADER = "x-file-name"


async def _chunks(fh: BinaryIO) -> AsyncIterator[bytes]:
    with fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.id, name=doc.name, sha256=doc.sha256, size=doc.size, created_at=doc.created_at
    )


def security_out(s: BidSecurity) -> SecurityOut:
    return SecurityOut(
        lot_id=s.lot_id,
        amount=s.amount,
        form=s.form,
        reference=s.reference,
        recorded_at=s.recorded_at,
    )


def question_out(q: Question) -> QuestionOut:
    return QuestionOut(
        id=q.id, text=q.text, asked_at=q.asked_at, answer=q.answer, answered_at=q.answered_at
    )


ROUTES = [ParticipationApi]
