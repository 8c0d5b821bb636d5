"""Shapes of the participation API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from trading.kernel.bodies import Amount, JsonBody


class RegistrationOut(msgspec.Struct):
    lot_id: int
    registered_at: datetime


class DocumentOut(msgspec.Struct):
    id: int
    name: str
    sha256: str
    size: int
    created_at: datetime


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=2, max_length=4000)]


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=2, max_length=8000)]


class QuestionOut(msgspec.Struct):
    """Public: the asker is never named."""

    id: int
    text: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


class AmendmentIn(JsonBody, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=2, max_length=300)]
    body: Annotated[str, msgspec.Meta(max_length=20000)] = ""
    affects_bids: bool = True
    new_deadline: datetime | None = None


class AmendmentOut(msgspec.Struct):
    lot_id: int
    bid_deadline: datetime
    deadline_moved: bool


class SecurityIn(JsonBody, forbid_unknown_fields=True):
    amount: Amount
    form: str
    reference: str


class SecurityOut(msgspec.Struct):
    lot_id: int
    amount: Decimal
    form: str
    reference: str
    recorded_at: datetime


class NoticeOut(msgspec.Struct):
    id: int
    lot_id: int
    kind: str
    text: str
    created_at: datetime
    href: str | None = None  # an award letter's PDF


class StandingOut(msgspec.Struct):
    """The caller's standing on a lot: what the lot requires and what it has done."""

    lot_id: int
    registration_required: bool
    registration_citation: str | None
    security_required: Decimal
    security_citation: str
    registered_at: datetime | None
    security: SecurityOut | None
    registration_open: bool
    registration_closes: datetime
    may_bid: bool
    refusal: str | None  # why a bid would be refused now, citing the rule
