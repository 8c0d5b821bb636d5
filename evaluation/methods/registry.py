"""Method name → instance; the one place a new method is plugged in."""

from __future__ import annotations

from evaluation.methods.average_deviation import AverageDeviationMethod
from evaluation.methods.base import EvaluationError, EvaluationMethod
from evaluation.methods.highest_price import HighestPriceMethod
from evaluation.methods.low_price import LowPriceMethod
from evaluation.methods.lowest_evaluated_price import LowestEvaluatedPriceMethod

__all__ = ["METHODS", "get_method"]

METHODS: dict[str, EvaluationMethod] = {
    m.name: m
    for m in (
        LowPriceMethod(),
        LowestEvaluatedPriceMethod(),
        AverageDeviationMethod(),
        HighestPriceMethod(),
    )
}


def get_method(name: str) -> EvaluationMethod:
    try:
        return METHODS[name]
    except (KeyError, TypeError):
        raise EvaluationError(
            "method", f"unknown method {name!r}; use {', '.join(sorted(METHODS))}"
        ) from None
