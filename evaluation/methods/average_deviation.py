"""Construction 综合评估法: price score by deviation from the average price."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from evaluation.methods.base import Criterion, EvaluationError, Params
from evaluation.methods.common import _add, _Method, _technical_score, _Valid
from trading.kernel.money import DECIMAL_CONTEXT, HUNDRED, ONE, ZERO, quantize

__all__ = ["AverageDeviationMethod"]


class AverageDeviationMethod(_Method):
    """Construction 综合评估法, average-with-deviation price score.

    benchmark = mean of valid evaluated prices (highest and lowest dropped when
    ``drop_extremes`` and at least ``drop_extremes_min`` valid bids) × (1 − K);
    deviation % = (price − benchmark) / benchmark × 100, rounded to places;
    price score = full − |deviation| × (coefficient_above or _below), floor 0.
    """

    name = "average_deviation"

    def check_params(self, params: Params) -> None:
        if params.goods_or_services is not None:
            # RULES.md: not allowed in government procurement (采购法条例 34).
            raise EvaluationError(
                "params.goods_or_services",
                "average_deviation is not allowed in government procurement (采购法条例 34)",
            )

    def score(self, valid: _Valid, criteria: Sequence[Criterion], params: Params) -> Decimal | None:
        prices = sorted(e.evaluated_price for _, _, e in valid)
        if params.drop_extremes and len(prices) >= params.drop_extremes_min:
            prices = prices[1:-1]
        full = params.effective_full_price_score
        with localcontext(DECIMAL_CONTEXT):
            benchmark = sum(prices, ZERO) / len(prices) * (ONE - params.k)
        for i, bid, entry in valid:
            with localcontext(DECIMAL_CONTEXT):
                deviation = quantize(
                    (entry.evaluated_price - benchmark) / benchmark * HUNDRED, params.places
                )
                coefficient = (
                    params.coefficient_above if deviation > 0 else params.coefficient_below
                )
                raw = max(ZERO, full - abs(deviation) * coefficient)
            entry.deviation = deviation
            entry.price_score = quantize(raw, params.places)
            entry.technical_score = _technical_score(i, bid, criteria, params)
            entry.total = _add(entry.price_score, entry.technical_score)
        return benchmark
