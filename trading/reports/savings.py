"""Savings (节约资金), savings rate (节约率) and premium rate (溢价率).

RULES.md "Savings and premium": rates are ratios of sums over the awarded lots in
scope — never the mean of per-lot rates — and a roll-up over centers recomputes
the rate from rolled-up totals. Callers pass awarded lots only; failed, cancelled
and sandbox lots are reported separately.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from trading.kernel.money import DECIMAL_CONTEXT, HUNDRED, ZERO, as_decimal, quantize

__all__ = ["Totals", "premium_rate", "savings", "savings_rate"]


def savings(reference: Decimal, award: Decimal, places: int = 2) -> Decimal:
    """reference (budget or control price, as the project declares) − award price.

    Negative when the award exceeds the reference; the sign is kept, not hidden.
    """
    reference = as_decimal(reference, "reference")
    award = as_decimal(award, "award")
    return quantize(reference - award, places)


def _ratio(numerator: Decimal, denominator: Decimal, places: int) -> Decimal | None:
    if denominator == 0:
        return None  # no base: a rate would be meaningless, not 0
    with localcontext(DECIMAL_CONTEXT):
        return quantize(numerator / denominator * HUNDRED, places)


def _sums(
    pairs: Iterable[tuple[Decimal, Decimal]], first: str, second: str
) -> tuple[int, Decimal, Decimal]:
    count, total_a, total_b = 0, ZERO, ZERO
    with localcontext(DECIMAL_CONTEXT):  # exact sums whatever the caller's context
        for n, (a, b) in enumerate(pairs):
            total_a += as_decimal(a, f"[{n}].{first}")
            total_b += as_decimal(b, f"[{n}].{second}")
            count += 1
    return count, total_a, total_b


def savings_rate(pairs: Iterable[tuple[Decimal, Decimal]], places: int = 2) -> Decimal | None:
    """Σ (reference − award) / Σ reference × 100 over (reference, award) pairs.

    ``None`` when there is nothing to divide by (no lots, or Σ reference = 0).
    """
    return Totals.from_pairs(pairs, places).rate


def premium_rate(pairs: Iterable[tuple[Decimal, Decimal]], places: int = 2) -> Decimal | None:
    """Σ (deal − reserve) / Σ reserve × 100 over (reserve, deal) pairs (land, property)."""
    _, reserve_total, deal_total = _sums(pairs, "reserve", "deal")
    with localcontext(DECIMAL_CONTEXT):
        premium_total = deal_total - reserve_total
    return _ratio(premium_total, reserve_total, places)


@dataclass(frozen=True)
class Totals:
    """Savings totals of a set of awarded lots; the rate always follows the totals.

    ``savings_total`` and ``rate`` are derived, so a Totals can never carry a rate
    that disagrees with its own sums.
    """

    count: int
    reference_total: Decimal
    award_total: Decimal
    savings_total: Decimal = field(init=False)
    rate: Decimal | None = field(init=False)
    places: int = field(default=2, kw_only=True)

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError("count: must be a non-negative integer")
        reference_total = as_decimal(self.reference_total, "reference_total")
        award_total = as_decimal(self.award_total, "award_total")
        object.__setattr__(self, "reference_total", reference_total)
        object.__setattr__(self, "award_total", award_total)
        with localcontext(DECIMAL_CONTEXT):
            savings_total = reference_total - award_total
        object.__setattr__(self, "savings_total", savings_total)
        object.__setattr__(self, "rate", _ratio(savings_total, reference_total, self.places))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[Decimal, Decimal]], places: int = 2) -> Totals:
        """Totals of (reference, award) pairs, one per awarded lot."""
        count, reference_total, award_total = _sums(pairs, "reference", "award")
        return cls(count, reference_total, award_total, places=places)

    @classmethod
    def combine(cls, *totals: Totals, places: int | None = None) -> Totals:
        """Roll up (e.g. county → city → province): add the sums, recompute the rate."""
        if places is None:
            places = totals[0].places if totals else 2
        with localcontext(DECIMAL_CONTEXT):
            reference_total = sum((t.reference_total for t in totals), ZERO)
            award_total = sum((t.award_total for t in totals), ZERO)
        return cls(sum(t.count for t in totals), reference_total, award_total, places=places)

    def to_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "reference_total": format(self.reference_total, "f"),
            "award_total": format(self.award_total, "f"),
            "savings_total": format(self.savings_total, "f"),
            "rate": None if self.rate is None else format(self.rate, "f"),
        }
