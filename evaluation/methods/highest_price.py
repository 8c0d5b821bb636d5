"""Land use / property rights sales: the highest valid price wins."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from evaluation.methods.base import BidInput, Criterion, Params
from evaluation.methods.common import _Method, _Valid
from evaluation.methods.ties import _SortKey

__all__ = ["HighestPriceMethod"]


class HighestPriceMethod(_Method):
    """Land use / property rights: valid bids at or above the reserve; highest wins.

    The evaluated price is the quoted price (no deductions apply to a sale).
    """

    name = "highest_price"
    primary: _SortKey = ("price_desc", lambda e: e.price, True)

    def evaluated_price(self, bid: BidInput, params: Params) -> Decimal:
        return bid.price

    def exclusions(self, bid: BidInput, params: Params) -> list[str]:
        reasons = super().exclusions(bid, params)
        if params.reserve_price is not None and bid.price < params.reserve_price:
            reasons.append(f"below reserve price 底价 ({bid.price} < {params.reserve_price})")
        return reasons

    def score(self, valid: _Valid, criteria: Sequence[Criterion], params: Params) -> Decimal | None:
        return params.reserve_price
