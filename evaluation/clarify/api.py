"""Clarification requests (澄清) through the JSON API: the committee's side under
/api/v1/expert/lots/{id}/clarifications, the bidder's under /api/v1/bidder/clarifications."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.clarify import service
from evaluation.clarify.schemas import AnswerIn, AskIn, ClarificationOut, SendIn
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock
from trading.kernel.errors import ValidationFailed
from trading.kernel.web import requires


def out(v: service.View) -> ClarificationOut:
    return ClarificationOut(
        id=v.id, lot_id=v.lot_id, lot=v.lot_title, bidder=v.bidder, bid=v.bid_key,
        asked_by_position=v.position, question=v.question, state=v.state, asked_at=v.asked_at,
        answer_by=v.answer_by, answer=v.answer, file_name=v.file_name,
        file_sha256=v.file_sha256, file_size=v.file_size, answered_at=v.answered_at,
    )  # fmt: skip


async def _one(
    session: AsyncSession, actor: Actor, lot_id: int, clarification_id: int
) -> ClarificationOut:
    _, views = await service.for_committee(session, actor, lot_id)
    return out(next(v for v in views if v.id == clarification_id))


class CommitteeClarificationApi(Controller):
    path = "/api/v1/expert/lots/{lot_id:int}/clarifications"
    tags = ["clarifications"]  # noqa: RUF012
    guards = [requires(Role.EVALUATOR)]  # noqa: RUF012

    @get("/")
    async def list_(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[ClarificationOut]:
        """The lot's clarifications for a seated member who declared (404 for anyone else); on
        an 暗标 lot before finalising, bidders by letter and without the answer file's name."""
        _, views = await service.for_committee(db_session, request.user, lot_id)
        return [out(v) for v in views]

    @post("/", status_code=201)
    async def ask(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        data: AskIn, clock: Clock,
    ) -> ClarificationOut:  # fmt: skip
        """Ask one bidder about its bid while the committee works. The chair sets `answer_by`
        and the question is sent at once; another member's question waits for the chair."""
        c = await service.ask(
            db_session, request.user, lot_id, data.bid, data.question, now=clock.now(),
            answer_by=data.answer_by,
        )  # fmt: skip
        return await _one(db_session, request.user, lot_id, c.id)

    @post("/{clarification_id:int}/send", status_code=200)
    async def send(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        clarification_id: int, data: SendIn, clock: Clock,
    ) -> ClarificationOut:  # fmt: skip
        """The chair sends a member's question with the answer deadline (once: 409 after)."""
        await service.send(
            db_session, request.user, lot_id, clarification_id, data.answer_by, now=clock.now()
        )
        return await _one(db_session, request.user, lot_id, clarification_id)


class BidderClarificationApi(Controller):
    path = "/api/v1/bidder/clarifications"
    tags = ["clarifications"]  # noqa: RUF012
    guards = [requires(Role.BIDDER)]  # noqa: RUF012

    @get("/")
    async def list_(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession
    ) -> list[ClarificationOut]:
        """The caller's company's clarifications once sent, newest first."""
        return [out(v) for v in await service.for_bidder(db_session, request.user)]

    @post("/{clarification_id:int}/answer", status_code=200)
    async def answer(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession,
        clarification_id: int, data: AnswerIn, clock: Clock, blobs: LocalBlobStore,
    ) -> ClarificationOut:  # fmt: skip
        """Answer once before the deadline (409 after it, or a second time); another company's
        clarification is a 404. No price can be given: 招标投标法实施条例 第52条."""
        file = None
        if data.file_base64 is not None:
            try:
                raw = base64.b64decode(data.file_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValidationFailed("file_base64: 不是有效的 base64 / not base64") from exc
            file = (data.file_name or "file", raw)
        c = await service.answer(
            db_session, request.user, clarification_id, data.answer, now=clock.now(),
            blobs=blobs, file=file,
        )  # fmt: skip
        views = await service.for_bidder(db_session, request.user)
        return out(next(v for v in views if v.id == c.id))


ROUTES = [CommitteeClarificationApi, BidderClarificationApi]
