"""A bidder's standing on one lot: registered or not, security lodged, what the lot requires
and whether it may bid now — what the bidder page shows and GET .../participation answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation.models import BidSecurity, Question, Registration
from bidding.participation.service import registration_closes
from bidding.participation.terms import Terms, refusal, terms_of
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.projects.models import Lot


@dataclass(frozen=True)
class Standing:
    terms: Terms
    registration: Registration | None
    security: BidSecurity | None
    registration_open: bool
    registration_closes: datetime
    questions_open: bool
    refusal: str | None  # why a bid would be refused now (with the citation); None: it may bid
    my_questions: list[Question]  # this company's questions, answered or not


def lot_terms(lot: Lot, settings: Settings) -> Terms:
    center = lot.project.center
    return terms_of(
        lot.project.category,
        lot.project.method,
        lot.bid_security,
        center.code,
        center.rule_overrides,
        settings.rule_overrides,
    )


async def standing(
    session: AsyncSession, lot: Lot, actor: Actor, settings: Settings, now: datetime
) -> Standing:
    """The lot must already be one the actor may see (`get_lot`)."""
    org_id = actor.org_id or 0
    registration = await session.scalar(
        select(Registration).where(
            Registration.lot_id == lot.id, Registration.bidder_org_id == org_id
        )
    )
    security = await session.scalar(
        select(BidSecurity).where(BidSecurity.lot_id == lot.id, BidSecurity.bidder_org_id == org_id)
    )
    mine = await session.scalars(
        select(Question)
        .where(Question.lot_id == lot.id, Question.asker_org_id == org_id)
        .order_by(Question.asked_at, Question.id)
    )
    terms = lot_terms(lot, settings)
    announced = lot.state == LotState.ANNOUNCED
    closes = registration_closes(lot)
    refused = refusal(terms, registration is not None, security.amount if security else None)
    return Standing(
        terms=terms,
        registration=registration,
        security=security,
        registration_open=announced and now < closes,
        registration_closes=closes,
        questions_open=announced and now < (lot.clarification_deadline or lot.bid_deadline),
        refusal=refused.message if refused else None,
        my_questions=list(mine.all()),
    )
