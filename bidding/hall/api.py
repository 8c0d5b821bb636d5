"""Responses to the opening record: bidders confirm or object, the center answers (JSON)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

import bidding.hall.messages  # noqa: F401  (registers the form's and the notice's strings)
from bidding.hall import service as objections
from bidding.hall.models import ResponseKind
from bidding.opening.models import Opening
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import NotFound
from trading.kernel.web import requires
from trading.projects.service import get_lot


class TextIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=2, max_length=objections.MAX_TEXT)]


class ResponsesApi(Controller):
    path = "/api/v1/lots/{lot_id:int}/opening"
    tags = ["opening hall"]  # noqa: RUF012

    @get("/responses")
    async def list_responses(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        settings: Settings,
    ) -> dict[str, Any]:
        """Confirmations, objections and the center's answers on the record (public)."""
        lot = await get_lot(db_session, lot_id, request.user)
        opening = await db_session.get(Opening, lot.id)
        if opening is None or opening.record is None:
            raise NotFound("开标记录尚未公布 / the opening record is not published yet")
        ends = await objections.window_end(db_session, opening, settings)
        return {
            "window_ends_at": ends.isoformat(),
            "responses": await objections.responses(db_session, lot.id),
        }

    @post("/confirm", guards=[requires(Role.BIDDER)], status_code=201)
    async def confirm(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        clock: Clock,
        settings: Settings,
    ) -> dict[str, Any]:
        response = await objections.respond(
            db_session,
            lot_id,
            request.user,
            ResponseKind.CONFIRM,
            "",
            now=clock.now(),
            settings=settings,
        )
        return await objections.response_json(db_session, response)

    @post("/objections", guards=[requires(Role.BIDDER)], status_code=201)
    async def object_to(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: TextIn,
        clock: Clock,
        settings: Settings,
    ) -> dict[str, Any]:
        response = await objections.respond(
            db_session,
            lot_id,
            request.user,
            ResponseKind.OBJECTION,
            data.text,
            now=clock.now(),
            settings=settings,
        )
        return await objections.response_json(db_session, response)

    @post("/objections/{response_id:int}/answer", guards=[requires(Role.STAFF)], status_code=200)
    async def answer(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        response_id: int,
        data: TextIn,
        clock: Clock,
    ) -> dict[str, Any]:
        response = await objections.answer(
            db_session,
            lot_id,
            response_id,
            request.user,
            data.text,
            now=clock.now(),
        )
        return await objections.response_json(db_session, response)


ROUTES = [ResponsesApi]
