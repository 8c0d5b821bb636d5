"""Lowest evaluated price, average-with-deviation and highest price: hand figures."""

from decimal import Decimal as D

import pytest

from evaluation.methods import METHODS, BidInput, Criterion, EvaluationError, Params

LOWEST = METHODS["lowest_evaluated_price"]
AVERAGE = METHODS["average_deviation"]
HIGHEST = METHODS["highest_price"]


def order(ranking):
    return [b.bid_id for b in ranking.ranked]


def by_id(ranking):
    return {b.bid_id: b for b in ranking.bids}


# ----------------------------------------------------------- lowest evaluated price


def test_lowest_evaluated_price_orders_by_evaluated_price():
    bids = [
        BidInput("A", "甲", D(100), adjustments=D(10)),  # evaluated 110
        BidInput("B", "乙", D(105)),  # evaluated 105
        BidInput("C", "丙", D(90), qualified=False),  # cheapest but not qualified
    ]
    ranking = LOWEST.rank(bids, [], Params())
    assert order(ranking) == ["B", "A"]
    assert ranking.benchmark == D(105)
    assert by_id(ranking)["A"].evaluated_price == D(110)
    assert by_id(ranking)["C"].excluded and by_id(ranking)["C"].rank is None
    assert all(b.total is None and b.price_score is None for b in ranking.bids)


def test_lowest_evaluated_price_applies_sme_deduction():
    # 120 × (1 − 0.20) = 96 < 100
    bids = [BidInput("sme", "小微", D(120), sme=True), BidInput("big", "大型", D(100))]
    assert order(LOWEST.rank(bids, [], Params(sme_deduction=D("0.20")))) == ["sme", "big"]
    assert order(LOWEST.rank(bids, [], Params())) == ["big", "sme"]


def test_lowest_evaluated_price_tie_broken_by_quoted_price():
    # both evaluate to 100; B quoted 95 (+5 adjustment) so price_asc puts it first
    bids = [BidInput("A", "甲", D(100)), BidInput("B", "乙", D(95), adjustments=D(5))]
    ranking = LOWEST.rank(bids, [], Params())
    assert order(ranking) == ["B", "A"]
    assert all(any("price_asc" in r for r in b.reasons) for b in ranking.ranked)


# ------------------------------------------------------------- average deviation

FIVE = [D(90), D(95), D(100), D(105), D(130)]


def five_bids(prices=FIVE):
    return [BidInput(f"p{p}", f"bidder {p}", p) for p in prices]


def test_average_deviation_with_k_and_drop_extremes_hand_computed():
    params = Params(
        k=D("0.02"),
        drop_extremes=True,
        full_price_score=D(60),
        coefficient_above=D(1),
        coefficient_below=D("0.5"),
    )
    ranking = AVERAGE.rank(five_bids(), [], params)
    got = by_id(ranking)
    # 5 valid bids ≥ 5: drop 90 and 130; mean(95, 100, 105) = 100; × (1 − 0.02) = 98
    assert ranking.benchmark == D(98)
    # 90: (90 − 98)/98 × 100 = −8.163… → −8.16; below: 60 − 8.16 × 0.5 = 55.92
    assert (got["p90"].deviation, got["p90"].price_score) == (D("-8.16"), D("55.92"))
    # 95: −3/98 → −3.06; 60 − 1.53 = 58.47
    assert (got["p95"].deviation, got["p95"].price_score) == (D("-3.06"), D("58.47"))
    # 100: 2/98 → 2.04; above: 60 − 2.04 × 1 = 57.96
    assert (got["p100"].deviation, got["p100"].price_score) == (D("2.04"), D("57.96"))
    # 105: 7/98 → 7.14 → 52.86; 130: 32/98 → 32.65 → 27.35
    assert got["p105"].price_score == D("52.86")
    assert got["p130"].price_score == D("27.35")
    assert order(ranking) == ["p95", "p100", "p90", "p105", "p130"]


def test_average_deviation_without_dropping():
    ranking = AVERAGE.rank(five_bids(), [], Params(k=D("0.02"), full_price_score=D(60)))
    # mean(90, 95, 100, 105, 130) = 104; × 0.98 = 101.92
    assert ranking.benchmark == D("101.92")


def test_drop_extremes_needs_the_documented_minimum():
    bids = five_bids([D(90), D(95), D(100), D(115)])
    # 4 bids < default minimum 5: nothing dropped, mean = 400/4 = 100
    assert AVERAGE.rank(bids, [], Params(drop_extremes=True)).benchmark == D(100)
    # minimum lowered to 4: drop 90 and 115, mean(95, 100) = 97.5
    params = Params(drop_extremes=True, drop_extremes_min=4)
    assert AVERAGE.rank(bids, [], params).benchmark == D("97.5")


def test_average_deviation_at_benchmark_scores_full_and_asymmetric_coefficients():
    bids = five_bids([D(90), D(100), D(110)])
    ranking = AVERAGE.rank(bids, [], Params(full_price_score=D(60)))
    got = by_id(ranking)
    # benchmark 100 (K = 0): 100 → full 60; 90 → 60 − 10 × 0.5 = 55; 110 → 60 − 10 × 1 = 50
    assert [got[k].price_score for k in ("p100", "p90", "p110")] == [D(60), D(55), D(50)]


def test_average_deviation_price_score_never_below_zero():
    bids = five_bids([D(100), D(200)])
    params = Params(full_price_score=D(30), coefficient_above=D(2))
    got = by_id(AVERAGE.rank(bids, [], params))
    # benchmark 150; 200: +33.33 % × 2 = 66.66 > 30 → clamped to 0.00
    assert got["p200"].deviation == D("33.33")
    assert got["p200"].price_score == D("0.00")
    # 100: −33.33 % × 0.5 = 16.665; 30 − 16.665 = 13.335 → 13.34 (half-up)
    assert got["p100"].price_score == D("13.34")


def test_average_deviation_adds_technical_score_and_default_full_score():
    criteria = [Criterion("t", "技术", D(60))]
    bids = [
        BidInput("a", "a", D(100), technical_scores={"t": [D(40)]}),
        BidInput("b", "b", D(110), technical_scores={"t": [D(58)]}),
        BidInput("c", "c", D(90), technical_scores={"t": [D(30)]}),
    ]
    got = by_id(AVERAGE.rank(bids, criteria, Params(price_weight=D("0.40"))))
    # full = 0.40 × 100 = 40; benchmark 100
    # a: 40 + 40 = 80; b: (40 − 10) + 58 = 88; c: (40 − 5) + 30 = 65
    assert [got[k].total for k in "abc"] == [D("80.00"), D("88.00"), D("65.00")]
    assert [got[k].rank for k in "abc"] == [2, 1, 3]


def test_average_deviation_excluded_bids_do_not_enter_the_mean():
    bids = [*five_bids([D(90), D(110)]), BidInput("bad", "x", D(1000), qualified=False)]
    assert AVERAGE.rank(bids, [], Params()).benchmark == D(100)


def test_average_deviation_refused_in_government_procurement():
    with pytest.raises(EvaluationError, match=r"goods_or_services.*采购法条例 34"):
        AVERAGE.rank(five_bids(), [], Params(goods_or_services="goods"))


# ------------------------------------------------------------------ highest price


def test_highest_price_with_reserve():
    bids = [
        BidInput("below", "a", D(900)),
        BidInput("at", "b", D(1000)),
        BidInput("top", "c", D(1500)),
        BidInput("unq", "d", D(2000), qualified=False),
    ]
    ranking = HIGHEST.rank(bids, [], Params(reserve_price=D(1000)))
    assert order(ranking) == ["top", "at"]
    got = by_id(ranking)
    assert got["below"].excluded
    assert got["below"].reasons == ["below reserve price 底价 (900 < 1000)"]
    assert got["unq"].excluded
    assert ranking.benchmark == D(1000)


def test_highest_price_without_reserve_and_ignoring_deductions():
    bids = [BidInput("a", "a", D(100), sme=True), BidInput("b", "b", D(99), adjustments=D(50))]
    ranking = HIGHEST.rank(bids, [], Params(sme_deduction=D("0.20")))
    assert order(ranking) == ["a", "b"]
    assert by_id(ranking)["b"].evaluated_price == D(99)


def test_highest_price_all_below_reserve():
    ranking = HIGHEST.rank([BidInput("a", "a", D(1))], [], Params(reserve_price=D(2)))
    assert ranking.ranked == [] and ranking.winner is None
