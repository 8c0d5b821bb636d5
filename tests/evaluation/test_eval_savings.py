"""Savings, savings rate (from totals, never a mean of rates), premium rate."""

from decimal import Decimal as D

import pytest

from evaluation.methods import EvaluationError
from trading.reports.savings import Totals, premium_rate, savings, savings_rate

# lot 1 saves 50 of 100 (50 %), lot 2 saves 100 of 1000 (10 %)
LOTS = [(D("100.00"), D("50.00")), (D("1000.00"), D("900.00"))]


def test_savings_half_up_and_sign_kept():
    assert savings(D(100), D("33.335")) == D("66.67")  # half-even would give 66.66
    assert savings(D("100.00"), D("110.00")) == D("-10.00")  # overrun stays visible
    assert savings(D(100), D("33.3333"), places=3) == D("66.667")


def test_savings_rate_is_ratio_of_sums_not_mean_of_rates():
    # Σ savings / Σ reference = 150 / 1100 × 100 = 13.636… → 13.64
    assert savings_rate(LOTS) == D("13.64")
    per_lot = [savings_rate([lot]) for lot in LOTS]
    assert per_lot == [D("50.00"), D("10.00")]
    mean_of_rates = sum(per_lot) / len(per_lot)  # 30.00 — the wrong figure
    assert savings_rate(LOTS) != mean_of_rates


def test_savings_rate_without_base_is_none():
    assert savings_rate([]) is None
    assert savings_rate([(D(0), D(0))]) is None
    assert savings_rate(iter(LOTS)) == D("13.64")  # any iterable, consumed once


def test_savings_rate_rounds_half_up():
    # 1 / 8 × 100 = 12.5 → 0 places → 13 (half-even would give 12)
    assert savings_rate([(D(8), D(7))], places=0) == D(13)


def test_premium_rate():
    # Σ (deal − reserve) / Σ reserve = (500 + 0) / 4000 × 100 = 12.50
    assert premium_rate([(D(1000), D(1500)), (D(3000), D(3000))]) == D("12.50")
    assert premium_rate([]) is None


def test_floats_refused():
    with pytest.raises(EvaluationError, match="floats"):
        savings(100.0, D(1))  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match=r"^\[1\]\.award"):
        savings_rate([(D(1), D(1)), (D(1), 0.5)])  # type: ignore[list-item]


def test_totals_and_combine_recompute_the_rate():
    county_a = Totals.from_pairs([LOTS[0]])
    county_b = Totals.from_pairs([LOTS[1]])
    assert (county_a.rate, county_b.rate) == (D("50.00"), D("10.00"))
    city = Totals.combine(county_a, county_b)
    assert city.count == 2
    assert city.reference_total == D("1100.00")
    assert city.award_total == D("950.00")
    assert city.savings_total == D("150.00")
    assert city.rate == D("13.64")  # not (50 + 10) / 2 = 30
    assert city == Totals.from_pairs(LOTS)
    assert city.to_dict() == {
        "count": 2,
        "reference_total": "1100.00",
        "award_total": "950.00",
        "savings_total": "150.00",
        "rate": "13.64",
    }


def test_combine_nested_equals_flat_and_empty():
    lots = [(D(n * 100), D(n * 91)) for n in range(1, 8)]
    flat = Totals.from_pairs(lots)
    nested = Totals.combine(
        Totals.combine(*(Totals.from_pairs([lot]) for lot in lots[:3])),
        Totals.from_pairs(lots[3:]),
    )
    assert nested == flat
    empty = Totals.combine()
    assert (empty.count, empty.rate, empty.savings_total) == (0, None, D(0))


def test_totals_rate_always_follows_the_sums():
    totals = Totals(3, D("300"), D("270"))
    assert (totals.savings_total, totals.rate) == (D(30), D("10.00"))
    with pytest.raises(TypeError):
        Totals(3, D(300), D(270), D(30))  # type: ignore[call-arg]
