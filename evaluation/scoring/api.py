"""The expert workspace's JSON API (role evaluator; a seated member of the lot's committee)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.report import service as report
from evaluation.scoring import service, work
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
from trading.kernel.config import Settings
from trading.kernel.web import requires


def desk_out(d: service.Desk) -> DeskOut:
    s = d.seat
    sheet = s.sheet
    return DeskOut(
        lot_id=s.lot.id,
        is_chair=s.is_chair,
        finalised=s.final is not None,
        declaration_text=service.DECLARATION,
        declaration_statement=s.declaration,
        criteria=[
            {"id": c.id, "name": c.name, "max_score": format(c.max_score, "f")} for c in d.criteria
        ],
        bids=[
            BidOut(
                d.key(b.bid_id),
                b.bidder,
                "" if d.masked else format(b.price, "f"),  # 暗标: no price before finalising
                d.price_forms.get(b.bid_id, {}),
            )
            for b in d.bids
        ],
        sheet=SheetOut(
            declared=sheet is not None,
            submitted=bool(sheet and sheet.submitted_at),
            qualification={d.key(k): v for k, v in sheet.qualification.items()} if sheet else {},
            scores={d.key(k): v for k, v in sheet.scores.items()} if sheet else {},
            deviation_reasons={
                f"{d.key(k.partition('/')[0])}/{k.partition('/')[2]}": v
                for k, v in sheet.deviation_reasons.items()
            }
            if sheet
            else {},
        ),
        all_submitted=d.all_submitted,
        progress=[{"position": p, "submitted": done} for p, done in d.progress],
        my_deviations=[
            FlagOut(d.key(f.bid_id), f.criterion_id, format(f.score, "f"), format(f.mean, "f"))
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
        """Declare no conflict: the declaration's exact text and the caller's Ed25519 signature
        over the canonical JSON of `declaration_statement`, verified against their registered
        key (PUT /api/v1/me/keys); audited with the signature."""
        await work.declare(
            db_session, request.user, lot_id, data.declaration, data.signature, now=clock.now()
        )
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
        await work.save(
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
        await work.explain(db_session, request.user, lot_id, data.reasons, now=clock.now())
        return desk_out(await service.desk(db_session, request.user, lot_id))

    @post("/finalise", status_code=200)
    async def finalise(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        clock: Clock, settings: Settings,
    ) -> DeskOut:  # fmt: skip
        """The chair closes the evaluation (or an open re-evaluation): every seated member
        submitted, every deviation explained; the evaluation report's next version is built
        for the members to sign. Nothing changes afterwards but through a re-evaluation."""
        await report.finalise(db_session, request.user, lot_id, now=clock.now(), settings=settings)
        return desk_out(await service.desk(db_session, request.user, lot_id))


ROUTES = [ScoringApi]
