"""经评审的最低投标价法: no scores, the lowest evaluated price ranks first."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from evaluation.methods.base import Criterion, Params
from evaluation.methods.common import _Method, _Valid
from evaluation.methods.ties import _SortKey

__all__ = ["LowestEvaluatedPriceMethod"]


class LowestEvaluatedPriceMethod(_Method):
    """经评审的最低投标价法: qualified bids ranked by evaluated price, lowest first.

    No scores: a bid found below cost is marked not qualified by the committee.
    """

    name = "lowest_evaluated_price"
    primary: _SortKey = ("evaluated_price_asc", lambda e: e.evaluated_price, False)

    def score(self, valid: _Valid, criteria: Sequence[Criterion], params: Params) -> Decimal | None:
        return min(e.evaluated_price for _, _, e in valid)
