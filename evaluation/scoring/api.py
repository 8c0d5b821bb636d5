"""The expert workspace's JSON API (role evaluator; a seated member of the lot's committee)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.scoring import service
from evaluation.scoring.schemas import (
    BidOut,
    DeclareIn,
    DeskOut,
    ExplainIn,
    FlagOut,
    SheetIn,
    SheetOut,
)
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.web import requires


def desk_out(d: service.Desk) -> DeskOut:
    s = d.seat
    sheet = s.sheet
    return DeskOut(
        lot_id=s.lot.id,
        is_chair=s.is_chair,
        finalised=s.final is not None,
        declaration_text=service.DECLARATION,
        criteria=[
            {"id": c.id, "name": c.name, "max_score": format(c.max_score, "f")} for c in d.criteria
        ],
        bids=[
            BidOut(str(b.bid_id), b.bidder, format(b.price, "f"), d.price_forms.get(b.bid_id, {}))
            for b in d.bids
        ],
        sheet=SheetOut(
            declared=sheet is not None,
            submitted=bool(sheet and sheet.submitted_at),
            qualification=dict(sheet.qualification) if sheet else {},
            scores=dict(sheet.scores) if sheet else {},
            deviation_reasons=dict(sheet.deviation_reasons) if sheet else {},
        ),
        all_submitted=d.all_submitted,
        progress=[{"position": p, "submitted": done} for p, done in d.progress],
        my_deviations=[
            FlagOut(f.bid_id, f.criterion_id, format(f.score, "f"), format(f.mean, "f"))
            for f in d.my_flags
        ],
        outstanding_deviations=d.outstanding,
    )


class ScoringApi(Controller):
    path = "/api/v1/expert/lots/{lot_id:int}"
    tags = ["scoring"]  # noqa: RUF012
    guards = [requires(Role.EVALUATOR)]  # noqa: RUF012

    @get("/")
    async def read(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> DeskOut:
        """The caller's own desk: bids after the declaration, their own sheet only; the chair
        also sees who has submitted (not the numbers). 404 for anyone not seated on the lot."""
        return desk_out(await service.desk(db_session, request.user, lot_id))

    @post("/declaration", status_code=200)
    async def declare(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        data: DeclareIn, clock: Clock,
    ) -> DeskOut:  # fmt: skip
        """Declare no conflict with the declaration's exact text (audited)."""
        await service.declare(db_session, request.user, lot_id, data.declaration, now=clock.now())
        return desk_out(await service.desk(db_session, request.user, lot_id))

    @post("/sheet", status_code=200)
    async def save(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        data: SheetIn, clock: Clock,
    ) -> DeskOut:  # fmt: skip
        """Save the draft (replacing it); `submit: true` checks it is complete and makes it
        final (409 afterwards)."""
        qualification = {
            k: {"pass": q.passed, "reason": q.reason} for k, q in data.qualification.items()
        }
        scores = {
            k: {c: {"score": v.score, "comment": v.comment} for c, v in per.items()}
            for k, per in data.scores.items()
        }
        await service.save(
            db_session, request.user, lot_id, qualification, scores, now=clock.now(),
            submit=data.submit,
        )  # fmt: skip
        return desk_out(await service.desk(db_session, request.user, lot_id))

    @post("/deviations", status_code=200)
    async def explain(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        data: ExplainIn, clock: Clock,
    ) -> DeskOut:  # fmt: skip
        """Written reasons for the caller's own scores flagged as deviating."""
        await service.explain(db_session, request.user, lot_id, data.reasons, now=clock.now())
        return desk_out(await service.desk(db_session, request.user, lot_id))

    @post("/finalise", status_code=200)
    async def finalise(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        clock: Clock,
    ) -> DeskOut:  # fmt: skip
        """The chair closes the evaluation: every seated member submitted, every deviation
        explained. Nothing changes afterwards."""
        await service.finalise(db_session, request.user, lot_id, now=clock.now())
        return desk_out(await service.desk(db_session, request.user, lot_id))


ROUTES = [ScoringApi]
