"""Plug-in evaluation methods: bids + criteria + parameters → scores, ranking, reasons.

Pure functions over ``Decimal`` (no database, no web) so that anyone can recompute a
published ranking from the published inputs (see ``evaluation/offline.py`` and
RULES.md "Scoring formulas").

Conventions shared by every method:

* Intermediate arithmetic runs in a fixed 40-digit context, independent of the
  caller's decimal context, so a recomputation on another machine gives the same
  digits (``trading.kernel.money``). Scores and percentages are then rounded
  half-up to ``params.places``.
* ``total = price_score + technical_score`` of the *rounded* parts, so the published
  figures add up; ties are judged on those published figures.
* Errors raised while ranking carry the path of the offending input
  (``bids[2].price``, ``params.seed``); errors raised by a single object's
  constructor carry a path relative to that object (``price``).

Layout: ``base`` (inputs, parameters, results, the ``EvaluationMethod`` protocol),
``ties`` (ordering and the recorded draw), ``common`` (the shared skeleton), one
module per method, ``registry`` (``METHODS``) and ``deviation`` (expert outliers).
"""

from __future__ import annotations

from evaluation.methods.average_deviation import AverageDeviationMethod
from evaluation.methods.base import (
    TIE_BREAK_STEPS,
    BidInput,
    Criterion,
    EvaluationError,
    EvaluationMethod,
    Params,
    RankedBid,
    Ranking,
)
from evaluation.methods.deviation import DeviationFlag, deviation_flags
from evaluation.methods.highest_price import HighestPriceMethod
from evaluation.methods.low_price import LowPriceMethod
from evaluation.methods.lowest_evaluated_price import LowestEvaluatedPriceMethod
from evaluation.methods.registry import METHODS, check_params, get_method
from evaluation.methods.ties import SEED_FROM, SEED_LABEL, draw_digest, seed_from_record
from trading.kernel.money import as_decimal, quantize

__all__ = [
    "METHODS",
    "SEED_FROM",
    "SEED_LABEL",
    "TIE_BREAK_STEPS",
    "AverageDeviationMethod",
    "BidInput",
    "Criterion",
    "DeviationFlag",
    "EvaluationError",
    "EvaluationMethod",
    "HighestPriceMethod",
    "LowPriceMethod",
    "LowestEvaluatedPriceMethod",
    "Params",
    "RankedBid",
    "Ranking",
    "as_decimal",
    "check_params",
    "deviation_flags",
    "draw_digest",
    "get_method",
    "quantize",
    "seed_from_record",
]
