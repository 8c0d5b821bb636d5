"""Request and response bodies of the expert workspace's JSON routes."""

from __future__ import annotations

from typing import Annotated

import msgspec

from trading.kernel.bodies import JsonBody

Text = Annotated[str, msgspec.Meta(max_length=2000)]


class DeclareIn(JsonBody, forbid_unknown_fields=True):
    """The declaration's exact text and the member's Ed25519 signature (base64url) over the
    canonical JSON of `declaration_statement` (GET the desk), made with their registered key."""

    declaration: Annotated[str, msgspec.Meta(max_length=500)]
    signature: Annotated[str, msgspec.Meta(max_length=128)]


class QualificationIn(msgspec.Struct, forbid_unknown_fields=True):
    passed: bool = msgspec.field(name="pass")
    reason: Text = ""


class ScoreIn(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[str, msgspec.Meta(max_length=20)]  # a decimal string, like amounts
    comment: Text = ""


class SheetIn(JsonBody, forbid_unknown_fields=True):
    """Bid id → qualification; bid id → criterion id → score. `submit` makes it final."""

    qualification: dict[str, QualificationIn] = msgspec.field(default_factory=dict)
    scores: dict[str, dict[str, ScoreIn]] = msgspec.field(default_factory=dict)
    submit: bool = False


class ExplainIn(JsonBody, forbid_unknown_fields=True):
    """ "bid_id/criterion_id" → the written reason for one's own deviating score."""

    reasons: dict[str, Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]]


class SheetOut(msgspec.Struct):
    declared: bool
    submitted: bool
    qualification: dict[str, dict[str, object]]
    scores: dict[str, dict[str, dict[str, str]]]
    deviation_reasons: dict[str, str]


class BidOut(msgspec.Struct):
    bid_id: str
    bidder: str
    price: str
    price_form: dict[str, object]


class FlagOut(msgspec.Struct):
    bid_id: str
    criterion_id: str
    score: str
    mean: str


class DeskOut(msgspec.Struct):
    """The caller's own view: never another member's numbers."""

    lot_id: int
    is_chair: bool
    finalised: bool
    declaration_text: str
    declaration_statement: dict[str, object]  # what the member signs to declare
    criteria: list[dict[str, str]]
    bids: list[BidOut]
    sheet: SheetOut
    all_submitted: bool
    progress: list[dict[str, object]]  # chair only: who has submitted
    my_deviations: list[FlagOut]
    outstanding_deviations: int  # chair only
