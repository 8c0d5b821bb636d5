"""Shapes of a bidder's result (GET /api/v1/me/lots/{id}/result)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from evaluation.outcome.service import BidderResult


class OpeningOut(msgspec.Struct):
    """The bidder's row of the signed opening record."""

    outcome: str  # decrypted | revoked | failed
    cause: str
    price: Decimal | None


class LetterOut(msgspec.Struct):
    id: int
    kind: str  # award (中标通知书) | result (中标结果通知书)
    title: str
    sha256: str
    href: str
    created_at: datetime


class AnnouncementOut(msgspec.Struct):
    id: int
    kind: str  # candidates | result | failure
    title: str
    published_at: datetime
    ends_at: datetime | None
    href: str


class ResultOut(msgspec.Struct):
    """``stage`` says how much is published: ``evaluating`` (评标中) leaves every evaluation
    field empty; ``publicity`` adds qualification, reasons, rank and score; ``awarded`` adds
    ``won`` and the letter; ``failed`` the failure's reason (and the evaluation, when the lot
    failed after it)."""

    lot_id: int
    stage: str
    opening: OpeningOut
    qualified: bool | None
    reasons: list[str]
    rank: int | None
    candidate: bool
    total: Decimal | None
    evaluated_price: Decimal | None
    publicity_ends: datetime | None
    won: bool | None
    award_price: Decimal | None
    failure_reason: str
    letter: LetterOut | None
    announcements: list[AnnouncementOut]


def result_out(r: BidderResult) -> ResultOut:
    letter = r.letter
    return ResultOut(
        lot_id=r.lot.id,
        stage=r.stage,
        opening=OpeningOut(outcome=r.outcome, cause=r.cause, price=r.price),
        qualified=r.qualified,
        reasons=list(r.reasons),
        rank=r.rank,
        candidate=r.candidate,
        total=r.total,
        evaluated_price=r.evaluated_price,
        publicity_ends=r.publicity_ends,
        won=r.won,
        award_price=r.award_price,
        failure_reason=r.failure_reason,
        letter=None
        if letter is None
        else LetterOut(
            id=letter.id,
            kind=letter.kind,
            title=letter.title,
            sha256=letter.sha256,
            href=letter.href,
            created_at=letter.created_at,
        ),
        announcements=[
            AnnouncementOut(
                id=a.id,
                kind=a.kind,
                title=a.title,
                published_at=a.published_at,
                ends_at=a.ends_at,
                href=f"/announcements/{a.id}",
            )
            for a in r.announcements
        ],
    )
