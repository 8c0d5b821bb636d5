"""Params serialization and validation, input types, expert deviation flags."""

import json
from decimal import Decimal as D
from decimal import localcontext

import pytest

from evaluation.methods import (
    METHODS,
    BidInput,
    Criterion,
    DeviationFlag,
    EvaluationError,
    Params,
    deviation_flags,
)


def test_methods_registry():
    assert set(METHODS) == {
        "low_price",
        "lowest_evaluated_price",
        "average_deviation",
        "highest_price",
    }
    assert all(m.name == name for name, m in METHODS.items())


def test_params_round_trip_through_json():
    params = Params(
        price_weight=D("0.40"),
        sme_deduction=D("0.15"),
        trim=True,
        k=D("0.0125"),
        tie_break=("total_desc", "technical_desc"),
        seed="抽签-1",
        control_price=D("1234567.89"),
    )
    data = json.loads(json.dumps(params.to_dict()))
    assert data["k"] == "0.0125" and data["control_price"] == "1234567.89"
    assert Params.from_dict(data) == params


def test_params_from_dict_accepts_capital_k_and_integers():
    params = Params.from_dict({"K": "0.01", "full_price_score": 60, "places": 3})
    assert params.k == D("0.01") and params.full_price_score == D(60) and params.places == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"price_weight": 0.3}, r"^price_weight: not a decimal amount \(floats"),
        ({"price_wieght": "0.3"}, r"^price_wieght: unknown parameter"),
        ({"k": "0.01", "K": "0.02"}, r"^K: given twice"),
        ({"sme_deduction": "0.05"}, r"^sme_deduction: must be 0 or between 0.10 and 0.20"),
        ({"sme_deduction": "0.25"}, r"^sme_deduction"),
        ({"price_weight": "0"}, r"^price_weight"),
        ({"k": "1"}, r"^k: "),
        ({"tie_break": ["total_desc", "bribe_desc"]}, r"^tie_break\[1\]: unknown step"),
        ({"tie_break": ["price_asc", "price_asc"]}, r"^tie_break: steps must not repeat"),
        ({"tie_break": "price_asc"}, r"^tie_break: must be a list"),
        ({"trim": "yes"}, r"^trim: must be true or false"),
        ({"places": "2"}, r"^places: must be an integer"),
        ({"control_price": "0"}, r"^control_price: must be positive"),
        ({"goods_or_services": "works"}, r"^goods_or_services"),
        ({"coefficient_above": "-1"}, r"^coefficient_above"),
        ({"seed": 7}, r"^seed: must be a string"),
    ],
)
def test_params_validation(data, message):
    with pytest.raises(EvaluationError, match=message):
        Params.from_dict(data)


def test_python_api_refuses_floats():
    with pytest.raises(EvaluationError, match="floats"):
        Params(price_weight=0.3)  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match=r"^price: not a decimal amount"):
        BidInput("a", "a", 1.5)  # type: ignore[arg-type]
    with pytest.raises(EvaluationError, match=r"^technical_scores\.t\[1\]"):
        BidInput("a", "a", D(1), technical_scores={"t": [D(1), 2.0]})  # type: ignore[list-item]
    with pytest.raises(EvaluationError, match=r"^price: must be positive"):
        BidInput("a", "a", D(0))
    with pytest.raises(EvaluationError, match=r"^max_score: must be positive"):
        Criterion("c", "c", D(0))


def test_bid_scores_are_copied_read_only():
    scores = {"t": [D(1)]}
    bid = BidInput("a", "a", D(1), technical_scores=scores)
    scores["t"].append(D(2))
    assert bid.technical_scores["t"] == (D(1),)
    with pytest.raises(TypeError):
        bid.technical_scores["t"] = (D(3),)  # type: ignore[index]


def test_results_do_not_depend_on_the_callers_decimal_context():
    bids = [BidInput("a", "a", D("300.00")), BidInput("b", "b", D("700.00"))]
    expected = METHODS["low_price"].rank(bids, [], Params()).to_dict()
    with localcontext() as ctx:
        ctx.prec = 3
        assert METHODS["low_price"].rank(bids, [], Params()).to_dict() == expected


def test_ranking_to_dict_is_json_safe():
    bids = [BidInput("a", "a", D("1E+3")), BidInput("b", "b", D("2000.10"), qualified=False)]
    data = METHODS["low_price"].rank(bids, [], Params()).to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert '"price": "1000"' in text  # plain notation, never "1E+3"
    assert data["bids"][1]["rank"] is None and data["bids"][1]["excluded"] is True


def test_deviation_flags():
    criteria = [Criterion("c", "方案", D(10)), Criterion("d", "服务", D(20))]
    bids = [
        # mean 6.666…; limit 0.20 × 10 = 2: |9 − 6.67| = 2.33 flagged, |5 − 6.67| = 1.67 not
        BidInput("a", "a", D(1), technical_scores={"c": [D(5), D(6), D(9)]}),
        # mean 6, deviations exactly 2 = the limit: not flagged
        BidInput("b", "b", D(1), technical_scores={"c": [D(4), D(8)]}),
        # criterion d: limit 4; mean 10, 4 → deviation 6 flagged, 13 → 3 not
        BidInput("c", "c", D(1), technical_scores={"d": [D(13), D(13), D(4)]}),
    ]
    flags = deviation_flags(bids, criteria, D("0.20"))
    assert flags == [
        DeviationFlag("a", "c", 2, D(9), D("6.67")),
        DeviationFlag("c", "d", 2, D(4), D("10.00")),
    ]
    assert flags[0].expert_index == 2
    assert deviation_flags(bids, criteria, D("0.10"))[0] == ("a", "c", 0, D(5), D("6.67"))
