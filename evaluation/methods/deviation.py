"""Expert scores far from the committee mean (each needs a written reason)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from typing import NamedTuple

from evaluation.methods.base import BidInput, Criterion, EvaluationError
from evaluation.methods.common import _mean
from trading.kernel.money import DECIMAL_CONTEXT, ONE, ZERO, as_decimal, quantize

__all__ = ["DeviationFlag", "deviation_flags"]


class DeviationFlag(NamedTuple):
    """An expert score far from the committee mean; needs a written reason."""

    bid_id: str
    criterion_id: str
    expert_index: int  # 0-based position in the bid's score list
    score: Decimal
    mean: Decimal  # committee mean, rounded to places for display


def deviation_flags(
    bids: Iterable[BidInput],
    criteria: Sequence[Criterion],
    share: Decimal,
    *,
    places: int = 2,
) -> list[DeviationFlag]:
    """Scores deviating from the committee mean by more than ``share`` × max score.

    The comparison uses the exact mean; only the reported mean is rounded.
    """
    share = as_decimal(share, "share")
    if not ZERO <= share <= ONE:
        raise EvaluationError("share", "must be a fraction in [0, 1]")
    flags: list[DeviationFlag] = []
    for bid in bids:
        for criterion in criteria:
            scores = bid.technical_scores.get(criterion.id)
            if not scores:
                continue
            mean = _mean(scores)
            with localcontext(DECIMAL_CONTEXT):
                limit = share * criterion.max_score
                outliers = [(n, s) for n, s in enumerate(scores) if abs(s - mean) > limit]
            flags.extend(
                DeviationFlag(bid.bid_id, criterion.id, n, s, quantize(mean, places))
                for n, s in outliers
            )
    return flags
