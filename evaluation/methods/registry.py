"""Method name → instance; the one place a new method is plugged in."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from evaluation.methods.average_deviation import AverageDeviationMethod
from evaluation.methods.base import EvaluationError, EvaluationMethod, Params
from evaluation.methods.highest_price import HighestPriceMethod
from evaluation.methods.low_price import LowPriceMethod
from evaluation.methods.lowest_evaluated_price import LowestEvaluatedPriceMethod

__all__ = ["METHODS", "check_params", "get_method"]

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


def check_params(
    method: str, params: Mapping[str, Any], *, other_keys: Collection[str] = ()
) -> None:
    """Registration's check of a lot's method and parameters (bidhall hands it to trading as
    `trading.rules.methods.MethodCheck`): EvaluationError naming `method` or the key.
    `other_keys` belong to someone else (the committee's criteria) and are left to them."""
    get_method(method)
    Params.from_dict({k: v for k, v in params.items() if k not in other_keys})
