"""Offline recomputation of a published ranking from a JSON document."""

import copy
import json

import pytest

from evaluation.offline import EvaluationInputError, evaluate_document, evaluate_json

DOC = {
    "method": "low_price",
    "params": {"price_weight": "0.30", "sme_deduction": "0.10", "seed": "open-2026-11-24"},
    "criteria": [{"id": "t", "name": "技术方案", "max_score": "10"}],
    "bids": [
        {"bid_id": "b1", "bidder": "甲", "price": "100.00", "technical_scores": {"t": ["8", "9"]}},
        {
            "bid_id": "b2",
            "bidder": "乙",
            "price": "100.00",
            "sme": True,
            "technical_scores": {"t": ["7", "7.5"]},
        },
        {"bid_id": "b3", "bidder": "丙", "price": "80.00", "qualified": False},
    ],
}


def test_evaluate_document_hand_computed():
    result = evaluate_document(copy.deepcopy(DOC))
    bids = {b["bid_id"]: b for b in result["bids"]}
    # b2 evaluated 100 × 0.9 = 90 = benchmark → 30 + 7.25 = 37.25
    # b1 90/100 × 30 = 27 + 8.5 = 35.50
    assert result["benchmark"] == "90.0000"
    assert bids["b2"]["total"] == "37.25" and bids["b2"]["rank"] == 1
    assert bids["b1"]["total"] == "35.50" and bids["b1"]["rank"] == 2
    assert bids["b3"]["excluded"] is True and bids["b3"]["rank"] is None
    assert [b["bid_id"] for b in result["bids"]] == ["b2", "b1", "b3"]


def test_round_trip_reproduces_the_published_ranking():
    published = json.loads(json.dumps(evaluate_document(copy.deepcopy(DOC))))
    again = dict(DOC, method=published["method"], params=published["params"])
    assert evaluate_document(again) == published
    assert evaluate_json(json.dumps(again)) == published


def test_recorded_draw_recomputes_offline():
    doc = {
        "method": "lowest_evaluated_price",
        "params": {"seed": "s-1"},
        "bids": [{"bid_id": f"x{n}", "bidder": "b", "price": "5"} for n in range(5)],
    }
    first = evaluate_document(doc)
    assert evaluate_document(json.loads(json.dumps(doc))) == first
    assert all("seed=s-1" in b["reasons"][-1] for b in first["bids"])


def with_change(path, value):
    doc = copy.deepcopy(DOC)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (with_change(["bids", 2, "price"], 80.0), "bids[2].price: not a decimal amount"),
        (with_change(["bids", 2, "price"], "8e1"), "bids[2].price: not a decimal amount"),
        (with_change(["bids", 2, "price"], "80,00"), "bids[2].price: not a decimal amount"),
        (with_change(["bids", 2, "price"], "NaN"), "bids[2].price: not a decimal amount"),
        (with_change(["bids", 2, "price"], "0"), "bids[2].price: must be positive"),
        (with_change(["bids", 0, "bidder"], KeyError), "bids[0].bidder: missing"),
        (with_change(["bids", 1, "colour"], "red"), "bids[1].colour: unknown field"),
        (with_change(["bids", 1, "sme"], "yes"), "bids[1].sme: must be true or false"),
        (with_change(["bids", 1, "bid_id"], "b1"), "bids[1].bid_id: duplicate bid 'b1'"),
        (
            with_change(["bids", 0, "technical_scores", "t", 1], 9.0),
            "bids[0].technical_scores.t[1]: not a decimal amount",
        ),
        (
            with_change(["bids", 0, "technical_scores", "t", 0], "11"),
            "bids[0].technical_scores.t[0]: score 11 outside 0..10",
        ),
        (
            with_change(["bids", 0, "technical_scores", "t"], "8"),
            "bids[0].technical_scores.t: must be a list",
        ),
        (
            with_change(["bids", 0, "technical_scores"], KeyError),
            "bids[0].technical_scores.t: missing expert scores",
        ),
        (with_change(["criteria", 0, "max_score"], "0"), "criteria[0].max_score: must be positive"),
        (with_change(["criteria", 0, "id"], 3), "criteria[0].id: must be a string"),
        (with_change(["params", "price_weight"], 0.3), "params.price_weight: not a decimal"),
        (with_change(["params", "colour"], "red"), "params.colour: unknown parameter"),
        (with_change(["params", "seed"], KeyError), None),  # valid: no tie, no seed needed
        (with_change(["params"], []), "params: must be an object"),
        (with_change(["method"], "cheapest"), "method: unknown method 'cheapest'"),
        (with_change(["bids"], {}), "bids: must be a list"),
        (with_change(["extra"], 1), "extra: unknown field"),
        (with_change(["bids", 1], "b2"), "bids[1]: must be an object"),
        ([], "document: must be an object"),
    ],
)
def test_precise_input_errors(doc, message):
    if message is None:
        evaluate_document(doc)
        return
    with pytest.raises(EvaluationInputError) as caught:
        evaluate_document(doc)
    assert str(caught.value).startswith(message)


def test_method_rule_errors_are_input_errors_with_paths():
    doc = with_change(["params", "goods_or_services"], "goods")
    doc["params"]["price_weight"] = "0.20"
    with pytest.raises(EvaluationInputError, match=r"^params\.price_weight: at least 0\.30"):
        evaluate_document(doc)
    doc = {
        "method": "low_price",
        "bids": [{"bid_id": "a", "bidder": "a", "price": "1"}] * 2,
    }
    doc["bids"] = [dict(b, bid_id=f"b{n}") for n, b in enumerate(doc["bids"])]
    with pytest.raises(EvaluationInputError, match=r"^params\.seed: .* remain tied"):
        evaluate_document(doc)


def test_evaluate_json_rejects_duplicate_keys_and_bad_json():
    text = (
        '{"method": "low_price",'
        ' "bids": [{"bid_id": "a", "bidder": "a", "price": "1", "price": "2"}]}'
    )
    with pytest.raises(EvaluationInputError, match=r"^price: duplicate key"):
        evaluate_json(text)
    with pytest.raises(EvaluationInputError, match=r"^document: invalid JSON at line 1"):
        evaluate_json('{"method": ')
    with pytest.raises(EvaluationInputError, match=r"^bids\[0\]\.price: not a decimal amount"):
        evaluate_json(
            '{"method": "low_price", "bids": [{"bid_id": "a", "bidder": "a", "price": 1.5}]}'
        )
