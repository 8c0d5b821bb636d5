"""Request and response shapes of the trading API (validated by msgspec at the edge)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from trading.enums import Category, Method, PriceBasis
from trading.kernel.bodies import Amount, AmountOrZero, JsonBody

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class LotIn(msgspec.Struct, forbid_unknown_fields=True):
    """One lot of a ProjectIn (whose construction validates amounts and times as lots[i].…)."""

    title: Text
    budget: Amount
    docs_issued_at: datetime
    bid_deadline: datetime
    control_price: Amount | None = None
    price_basis: PriceBasis = PriceBasis.BUDGET
    bid_security: AmountOrZero = Decimal("0")
    docs_available_until: datetime | None = None
    clarification_deadline: datetime | None = None
    evaluation_at: datetime | None = None
    # A method's name (checked against the registry when the lot is evaluated); the column is 40.
    evaluation_method: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] = "low_price"
    evaluation_params: dict[str, Any] = msgspec.field(default_factory=dict)
    anonymous_technical: bool = False  # 暗标: technical part evaluated anonymously
    # The bidders' decryption window (minutes, 电子招标投标办法 第30条) within the ruleset's
    # bounds (422 with the citation otherwise); None: the ruleset's decrypt_window_minutes.
    decrypt_window_minutes: int | None = None


class ProjectIn(JsonBody, forbid_unknown_fields=True):
    title: Text
    category: Category
    method: Method
    tenderer_uscc: Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
    lots: Annotated[list[LotIn], msgspec.Meta(min_length=1, max_length=50)]
    region_code: str | None = None
    center_code: str | None = None
    sandbox: bool = False
    description: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    location: Annotated[str, msgspec.Meta(max_length=200)] = ""
    qualification: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    contact_name: Annotated[str, msgspec.Meta(max_length=60)] = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=40)] = ""


class LotOut(msgspec.Struct):
    id: int
    project_id: int
    number: int
    title: str
    state: str
    budget: Decimal
    control_price: Decimal | None
    bid_security: Decimal
    docs_issued_at: datetime
    bid_deadline: datetime
    opening_pub: str | None
    award_price: Decimal | None
    decrypt_window_minutes: int | None = None  # None: the ruleset's


class ProjectOut(msgspec.Struct):
    id: int
    code: str
    title: str
    category: str
    method: str
    center_code: str
    region_code: str
    sandbox: bool
    lots: list[LotOut]


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]


class TransitionOut(msgspec.Struct):
    lot_id: int
    state: str
    changed: bool
