"""Request and response bodies of the clarification routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from trading.kernel.bodies import JsonBody


class AskIn(JsonBody, forbid_unknown_fields=True):
    """`bid`: the bid's id, or its letter on an 暗标 lot before finalising. `answer_by`: the
    chair's deadline (the question then goes out at once); a member leaves it out."""

    bid: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    question: Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]
    answer_by: datetime | None = None


class SendIn(JsonBody, forbid_unknown_fields=True):
    answer_by: datetime


class AnswerIn(JsonBody, forbid_unknown_fields=True):
    """Text, and optionally one file (base64, ≤ 10 MiB). No price: 条例 52."""

    answer: Annotated[str, msgspec.Meta(min_length=2, max_length=20_000)]
    file_name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    file_base64: Annotated[str, msgspec.Meta(max_length=14_000_000)] | None = None


class ClarificationOut(msgspec.Struct):
    id: int
    lot_id: int
    lot: str
    bidder: str  # a letter on a masked 暗标 lot (committee); the company itself (bidder)
    bid: str
    asked_by_position: int
    question: str
    state: str
    asked_at: datetime
    answer_by: datetime | None
    answer: str | None
    file_name: str | None
    file_sha256: str | None
    file_size: int | None
    answered_at: datetime | None
