"""Bidding JSON API: streamed sealed submission, withdrawal, receipts, custody, the opening."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

from litestar import Controller, Request, delete, get, post, put
from litestar.exceptions import ClientException
from litestar.response import Stream
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import participation, service
from bidding.models import Bid, Opening, Question
from bidding.opening.flows import context, release_file_key, release_share, run_opening
from bidding.schemas import (
    AmendmentIn,
    AmendmentOut,
    AnswerIn,
    DocumentOut,
    FileKeyIn,
    NoticeOut,
    OpeningOut,
    QuestionIn,
    QuestionOut,
    ReceiptOut,
    RegistrationOut,
    SecurityIn,
    SecurityOut,
    ShareIn,
)
from crypto.custody import CustodyBundle
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.errors import Conflict, Forbidden, NotFound
from trading.kernel.web import requires, runtime
from trading.parties.models import PartyKey
from trading.projects.models import Document
from trading.projects.service import get_lot, manages

SIGNATURE_HEADER = "x-bid-signature"


class BidApi(Controller):
    path = "/api/v1/lots/{lot_id:int}"
    tags = ["bidding"]  # noqa: RUF012

    @post(
        "/bids",
        guards=[requires(Role.BIDDER)],
        status_code=201,
        request_max_body_size=service.MAX_BID_BYTES,
    )
    async def submit(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> ReceiptOut:
        """Body: the sealed envelope (application/octet-stream), streamed to disk."""
        if (
            request.headers.get("content-type", "").split(";")[0].strip()
            != "application/octet-stream"
        ):
            raise ClientException(
                "Content-Type must be application/octet-stream (a sealed envelope)"
            )
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise ClientException(
                f"missing {SIGNATURE_HEADER} header (the bidder's Ed25519 signature)"
            )
        rt = runtime(request)
        # Cheap checks first, so a late or foreign upload is refused before its body is read;
        # in a session of their own, so no database connection is held while the body streams.
        async with rt.sessionmaker() as quick:
            lot = await get_lot(quick, lot_id, request.user)
        if lot.state != LotState.ANNOUNCED or rt.clock.now() >= lot.bid_deadline:
            raise Conflict("投标截止时间已过，不再接受投标 / the bid deadline has passed")
        staged = await rt.blobs.stage(request.stream(), max_size=rt.settings.max_bid_bytes)
        bid = await service.submit_bid(
            db_session, lot_id, request.user, staged, signature, context(rt)
        )
        return ReceiptOut(bid_id=bid.id, status=bid.status, receipt=bid.receipt)

    @delete("/bids", guards=[requires(Role.BIDDER)], status_code=200)
    async def withdraw(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, int]:
        count = await service.withdraw_bid(
            db_session, lot_id, request.user, context(runtime(request))
        )
        return {"withdrawn": count}

    @get("/bids/mine", guards=[requires(Role.BIDDER)])
    async def mine(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[ReceiptOut]:
        rows = await db_session.scalars(
            select(Bid)
            .where(Bid.lot_id == lot_id, Bid.bidder_org_id == request.user.org_id)
            .order_by(Bid.version)
        )
        return [ReceiptOut(bid_id=b.id, status=b.status, receipt=b.receipt) for b in rows]

    @post("/bids/mine/file-key", guards=[requires(Role.BIDDER)], status_code=200)
    async def release_file_key(
        self, request: Request[Actor, Any, Any], lot_id: int, data: FileKeyIn
    ) -> OpeningOut:
        """At the opening, a bidder releases its bid's file key (decrypted on its own machine)."""
        state = await release_file_key(runtime(request), lot_id, request.user, data.file_key)
        return OpeningOut(lot_id=lot_id, state=state)

    @get("/custody/mine", guards=[requires(Role.CUSTODIAN)])
    async def my_share(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """The custodian's sealed share: only its own private key opens it."""
        lot = await get_lot(db_session, lot_id, request.user)
        if not lot.custody or request.user.user_id not in lot.custody.get("custodians", []):
            raise Forbidden("您不是本标段的开标密钥保管人 / you hold no key share for this lot")
        key = await db_session.scalar(
            select(PartyKey)
            .where(PartyKey.user_id == request.user.user_id)
            .order_by(PartyKey.id.desc())
        )
        if key is None:
            raise NotFound("no registered key")
        try:
            bundle = CustodyBundle.from_dict(lot.custody["bundle"])
            return bundle.share_for(b64u_decode(key.enc_pub, length=32)).to_dict()
        except CryptoError as exc:
            raise NotFound(f"no share for your current key: {exc}") from exc

    @post("/custody/release", guards=[requires(Role.CUSTODIAN)], status_code=200)
    async def release(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: ShareIn,
    ) -> OpeningOut:
        state = await release_share(runtime(request), lot_id, request.user, data.share)
        return OpeningOut(lot_id=lot_id, state=state)

    @post("/opening", guards=[requires(Role.STAFF)], status_code=200)
    async def open_now(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> OpeningOut:
        """Staff may trigger the opening by hand; it is still refused before the deadline."""
        lot = await get_lot(db_session, lot_id, request.user)
        if not manages(request.user, lot.project):
            raise Forbidden("无权操作该标段 / you may not act on this lot")
        state = await run_opening(runtime(request), lot_id)
        return OpeningOut(lot_id=lot_id, state=state)

    @get("/opening")
    async def record(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """The signed opening record (唱标): published once every bid is decrypted or failed."""
        await get_lot(db_session, lot_id, request.user)
        opening = await db_session.get(Opening, lot_id)
        if opening is None or opening.record is None:
            raise NotFound("开标记录尚未公布 / the opening record is not published yet")
        return opening.record


class ParticipationApi(Controller):
    """Before sealing: registration, documents, questions, amendments, bid security, notices."""

    path = "/api/v1"
    tags = ["participation"]  # noqa: RUF012

    @post("/lots/{lot_id:int}/registration", guards=[requires(Role.BIDDER)], status_code=200)
    async def register(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> RegistrationOut:
        reg = await participation.register(
            db_session, lot_id, request.user, now=runtime(request).clock.now()
        )
        return RegistrationOut(lot_id=reg.lot_id, registered_at=reg.registered_at)

    @post(
        "/lots/{lot_id:int}/documents",
        guards=[requires(Role.STAFF, Role.TENDERER, Role.AGENCY)],
        status_code=201,
        request_max_body_size=participation.MAX_DOCUMENT_BYTES,
    )
    async def add_document(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> DocumentOut:
        """Body: the file (any type); header X-File-Name: its name (percent-encoded UTF-8)."""
        name = unquote(request.headers.get(FILE_NAME_HEADER, ""))
        participation.check_document_name(name)
        rt = runtime(request)
        await get_lot(db_session, lot_id, request.user)
        staged = await rt.blobs.stage(request.stream(), max_size=participation.MAX_DOCUMENT_BYTES)
        doc = await participation.add_document(
            db_session,
            lot_id,
            request.user,
            name,
            staged,
            rt.blobs,
            now=rt.clock.now(),
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
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, document_id: int
    ) -> Stream:
        rt = runtime(request)
        doc, fh = await participation.open_document(
            db_session, document_id, request.user, rt.blobs, now=rt.clock.now()
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
    ) -> QuestionOut:
        q = await participation.ask(
            db_session, lot_id, request.user, data.text, now=runtime(request).clock.now()
        )
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
    ) -> QuestionOut:
        q = await participation.answer(
            db_session, question_id, request.user, data.text, now=runtime(request).clock.now()
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
    ) -> AmendmentOut:
        rt = runtime(request)
        lot, moved_from = await participation.amend(
            db_session,
            lot_id,
            request.user,
            title=data.title,
            body=data.body,
            affects_bids=data.affects_bids,
            new_deadline=data.new_deadline,
            now=rt.clock.now(),
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
    ) -> SecurityOut:
        rt = runtime(request)
        s = await participation.record_security(
            db_session,
            lot_id,
            request.user,
            amount=data.amount,
            form=data.form,
            reference=data.reference,
            now=rt.clock.now(),
            settings=rt.settings,
        )
        return SecurityOut(
            lot_id=s.lot_id,
            amount=s.amount,
            form=s.form,
            reference=s.reference,
            recorded_at=s.recorded_at,
        )

    @get("/me/notices", guards=[requires(Role.BIDDER)])
    async def notices(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession
    ) -> list[NoticeOut]:
        rows = await participation.notices(db_session, request.user)
        return [
            NoticeOut(id=n.id, lot_id=n.lot_id, kind=n.kind, text=n.text, created_at=n.created_at)
            for n in rows
        ]


FILE_NAME_HEADER = "x-file-name"


async def _chunks(fh: BinaryIO) -> AsyncIterator[bytes]:
    with fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.id, name=doc.name, sha256=doc.sha256, size=doc.size, created_at=doc.created_at
    )


def question_out(q: Question) -> QuestionOut:
    return QuestionOut(
        id=q.id, text=q.text, asked_at=q.asked_at, answer=q.answer, answered_at=q.answered_at
    )


ROUTES = [BidApi, ParticipationApi]
