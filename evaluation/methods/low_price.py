"""低价优先法 (87号令 55): price score against the lowest valid evaluated price."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from evaluation.methods.base import Criterion, EvaluationError, Params
from evaluation.methods.common import _add, _Method, _technical_score, _Valid
from trading.kernel.money import DECIMAL_CONTEXT, HUNDRED, quantize

__all__ = ["LowPriceMethod"]


class LowPriceMethod(_Method):
    """低价优先法 (87号令 55): benchmark = lowest valid evaluated price.

    price score = benchmark / evaluated price × price_weight × 100;
    total = price score + technical score (mean, or trimmed mean, per criterion).
    """

    name = "low_price"

    def check_params(self, params: Params) -> None:
        # 87号令 55: price weight ≥ 30 % for goods, ≥ 10 % for services.
        minimum = {"goods": Decimal("0.30"), "services": Decimal("0.10")}.get(
            params.goods_or_services or ""
        )
        if minimum is not None and params.price_weight < minimum:
            raise EvaluationError(
                "params.price_weight",
                f"at least {minimum} for {params.goods_or_services} (87号令 55)",
            )

    def score(self, valid: _Valid, criteria: Sequence[Criterion], params: Params) -> Decimal | None:
        benchmark = min(e.evaluated_price for _, _, e in valid)
        for i, bid, entry in valid:
            with localcontext(DECIMAL_CONTEXT):
                raw = benchmark / entry.evaluated_price * params.price_weight * HUNDRED
            entry.price_score = quantize(raw, params.places)
            entry.technical_score = _technical_score(i, bid, criteria, params)
            entry.total = _add(entry.price_score, entry.technical_score)
        return benchmark
