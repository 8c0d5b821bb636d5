"""低价优先法 (87号令 55) with technical scores: hand-computed figures."""

from decimal import Decimal as D

import pytest

from evaluation.methods import METHODS, BidInput, Criterion, EvaluationError, Params

LOW = METHODS["low_price"]
TECH = [Criterion("tech", "技术方案", D(70))]


def by_id(ranking):
    return {b.bid_id: b for b in ranking.bids}


def test_price_and_technical_scores_hand_computed():
    bids = [
        BidInput("A", "甲", D("100000.00"), technical_scores={"tech": [D(60), D(62), D(64)]}),
        BidInput("B", "乙", D("80000.00"), technical_scores={"tech": [D(50), D(52), D(54)]}),
        BidInput("C", "丙", D("125000.00"), technical_scores={"tech": [D(70), D(68), D(69)]}),
    ]
    ranking = LOW.rank(bids, TECH, Params(price_weight=D("0.30")))
    got = by_id(ranking)
    # benchmark = lowest valid price = 80000
    assert ranking.benchmark == D("80000.00")
    # A: 80000/100000 × 0.30 × 100 = 24.00; technical (60+62+64)/3 = 62 → 86.00
    assert (got["A"].price_score, got["A"].technical_score, got["A"].total) == (
        D("24.00"),
        D("62.00"),
        D("86.00"),
    )
    # B: benchmark itself → 30.00; technical 52 → 82.00
    assert got["B"].total == D("82.00")
    # C: 80000/125000 × 30 = 19.20; technical 69 → 88.20
    assert (got["C"].price_score, got["C"].total) == (D("19.20"), D("88.20"))
    assert [b.bid_id for b in ranking.ranked] == ["C", "A", "B"]
    assert [b.rank for b in ranking.ranked] == [1, 2, 3]
    assert ranking.winner.bid_id == "C"


def test_price_score_rounds_half_up():
    # 100/800 × 0.10 × 100 = 1.25 → 1 place half-up = 1.3 (half-even would give 1.2)
    bids = [BidInput("a", "a", D(100)), BidInput("b", "b", D(800))]
    ranking = LOW.rank(bids, [], Params(price_weight=D("0.10"), places=1))
    assert by_id(ranking)["b"].price_score == D("1.3")
    assert by_id(ranking)["a"].price_score == D("10.0")
    # no criteria → technical score 0
    assert by_id(ranking)["a"].technical_score == D("0.0")


def test_non_terminating_price_score():
    # 300/700 × 30 = 12.857142… → 12.86
    bids = [BidInput("a", "a", D(300)), BidInput("b", "b", D(700))]
    assert by_id(LOW.rank(bids, [], Params()))["b"].price_score == D("12.86")


def test_sme_deduction_changes_evaluated_not_contract_price():
    bids = [
        BidInput("sme", "小微", D("100.00"), sme=True),
        BidInput("big", "大型", D("95.00")),
    ]
    ranking = LOW.rank(bids, [], Params(sme_deduction=D("0.10")))
    got = by_id(ranking)
    # evaluated: 100 × (1 − 0.10) = 90 < 95, so the SME bid sets the benchmark
    assert got["sme"].evaluated_price == D(90)
    assert got["sme"].price == D("100.00")  # the contract price stays as quoted
    assert got["big"].evaluated_price == D("95.00")
    assert ranking.benchmark == D(90)
    # sme: 90/90 × 30 = 30.00; big: 90/95 × 30 = 28.421… → 28.42
    assert got["sme"].price_score == D("30.00")
    assert got["big"].price_score == D("28.42")
    assert ranking.winner.bid_id == "sme"


def test_sme_flag_without_deduction_changes_nothing():
    bids = [BidInput("sme", "小微", D(100), sme=True), BidInput("big", "大型", D(95))]
    ranking = LOW.rank(bids, [], Params())
    assert by_id(ranking)["sme"].evaluated_price == D(100)
    assert ranking.winner.bid_id == "big"


def test_sme_deduction_then_published_adjustment():
    # 200 × (1 − 0.20) + 5 = 165
    bid = BidInput("a", "a", D(200), sme=True, adjustments=D(5))
    ranking = LOW.rank([bid], [], Params(sme_deduction=D("0.20")))
    assert ranking.bids[0].evaluated_price == D(165)


def test_trimmed_mean_drops_one_highest_and_one_lowest():
    scores = {"tech": [D(50), D(60), D(61), D(62), D(70)]}
    bids = [BidInput("a", "a", D(100), technical_scores=scores)]
    # plain mean: 303/5 = 60.6; trimmed: (60+61+62)/3 = 61
    assert LOW.rank(bids, TECH, Params()).bids[0].technical_score == D("60.60")
    assert LOW.rank(bids, TECH, Params(trim=True)).bids[0].technical_score == D("61.00")


def test_trim_drops_only_one_of_repeated_extremes():
    # [10, 10, 20, 30, 30] trimmed → (10+20+30)/3 = 20
    bids = [
        BidInput("a", "a", D(1), technical_scores={"tech": [D(10), D(10), D(20), D(30), D(30)]})
    ]
    assert LOW.rank(bids, TECH, Params(trim=True)).bids[0].technical_score == D("20.00")


def test_trim_needs_three_experts():
    bids = [BidInput("a", "a", D(100), technical_scores={"tech": [D(50), D(60)]})]
    # two experts: trimming would leave nothing, so the plain mean 55 is used
    assert LOW.rank(bids, TECH, Params(trim=True)).bids[0].technical_score == D("55.00")


def test_technical_score_is_rounded_once_after_summing_criteria():
    criteria = [Criterion("c1", "一", D(5)), Criterion("c2", "二", D(5))]
    scores = {"c1": [D(1), D(1), D(2)], "c2": [D(1), D(1), D(2)]}
    bids = [BidInput("a", "a", D(1), technical_scores=scores)]
    # 4/3 + 4/3 = 2.6666… → 2.67 (rounding each mean first would give 2.66)
    assert LOW.rank(bids, criteria, Params()).bids[0].technical_score == D("2.67")


def test_control_price_excludes_with_reason():
    bids = [
        BidInput("over", "超", D("100.01")),
        BidInput("at", "等", D("100.00")),
        BidInput("under", "低", D("90.00")),
    ]
    ranking = LOW.rank(bids, [], Params(control_price=D(100)))
    assert [b.bid_id for b in ranking.ranked] == ["under", "at"]
    [over] = ranking.excluded
    assert over.bid_id == "over" and over.rank is None and over.total is None
    assert any("最高投标限价" in r and "above control price" in r for r in over.reasons)
    assert ranking.bids[-1] is over  # excluded bids come after the ranked ones


def test_unqualified_bid_does_not_set_the_benchmark():
    bids = [
        BidInput("cheap", "废", D(50), qualified=False),
        BidInput("a", "a", D(100)),
        BidInput("b", "b", D(200)),
    ]
    ranking = LOW.rank(bids, [], Params())
    assert ranking.benchmark == D(100)
    assert by_id(ranking)["b"].price_score == D("15.00")  # 100/200 × 30
    assert by_id(ranking)["cheap"].reasons == ["not qualified 资格/符合性审查未通过"]


def test_no_valid_bid_gives_empty_ranking():
    bids = [BidInput("a", "a", D(200)), BidInput("b", "b", D(10), qualified=False)]
    ranking = LOW.rank(bids, [], Params(control_price=D(100)))
    assert ranking.ranked == [] and ranking.winner is None and ranking.benchmark is None
    assert [b.bid_id for b in ranking.excluded] == ["a", "b"]


@pytest.mark.parametrize(
    ("kind", "weight", "ok"),
    [
        ("goods", "0.30", True),
        ("goods", "0.29", False),
        ("services", "0.10", True),
        ("services", "0.09", False),
        (None, "0.05", True),
    ],
)
def test_price_weight_minimum_only_for_government_procurement(kind, weight, ok):
    params = Params(price_weight=D(weight), goods_or_services=kind)
    bids = [BidInput("a", "a", D(1))]
    if ok:
        assert LOW.rank(bids, [], params).winner.bid_id == "a"
    else:
        with pytest.raises(EvaluationError, match=r"params\.price_weight.*87号令 55"):
            LOW.rank(bids, [], params)


def test_missing_technical_scores_of_a_valid_bid_are_an_error():
    bids = [
        BidInput("a", "a", D(1), technical_scores={"tech": [D(1)]}),
        BidInput("b", "b", D(2)),
    ]
    with pytest.raises(EvaluationError, match=r"^bids\[1\]\.technical_scores\.tech: missing"):
        LOW.rank(bids, TECH, Params())
    # an excluded bid needs no scores
    bids[1] = BidInput("b", "b", D(2), qualified=False)
    assert LOW.rank(bids, TECH, Params()).winner.bid_id == "a"


def test_score_outside_range_is_an_error():
    bids = [BidInput("a", "a", D(1), technical_scores={"tech": [D(1), D(2), D(71)]})]
    with pytest.raises(EvaluationError, match=r"^bids\[0\]\.technical_scores\.tech\[2\]: score 71"):
        LOW.rank(bids, TECH, Params())


def test_unknown_criterion_and_duplicates_are_errors():
    with pytest.raises(EvaluationError, match=r"^bids\[0\]\.technical_scores\.nope: unknown"):
        LOW.rank([BidInput("a", "a", D(1), technical_scores={"nope": [D(1)]})], TECH, Params())
    with pytest.raises(EvaluationError, match=r"^bids\[1\]\.bid_id: duplicate"):
        LOW.rank([BidInput("a", "a", D(1)), BidInput("a", "b", D(2))], [], Params())
    with pytest.raises(EvaluationError, match=r"^criteria\[1\]\.id: duplicate"):
        LOW.rank([], [TECH[0], TECH[0]], Params())


def test_adjustment_making_evaluated_price_non_positive_is_an_error():
    bids = [BidInput("a", "a", D(10), adjustments=D(-10))]
    with pytest.raises(EvaluationError, match=r"^bids\[0\]\.adjustments"):
        LOW.rank(bids, [], Params())
