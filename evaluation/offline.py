"""Recompute a published ranking from its published inputs (``bidhall evaluate``).

Input document (JSON, amounts as strings so they stay exact)::

    {"method": "low_price",
     "params": {"price_weight": "0.30", "seed": "..."},
     "criteria": [{"id": "tech", "name": "技术方案", "max_score": "40"}],
     "bids": [{"bid_id": "b1", "bidder": "甲公司", "price": "123.45",
               "qualified": true, "sme": false, "adjustments": "0",
               "technical_scores": {"tech": ["30", "32.5", "31"]}}]}

The output is ``Ranking.to_dict()``, whose ``params`` hold every parameter used,
so feeding ``method``/``params`` back in with the same bids reproduces it. Input
is checked strictly: floats, unknown fields and wrong types are refused with an
``EvaluationInputError`` naming the field path (``bids[2].price: ...``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from evaluation.methods import (
    BidInput,
    Criterion,
    EvaluationError,
    Params,
    as_decimal,
    get_method,
)

__all__ = ["EvaluationInputError", "evaluate_document", "evaluate_json"]

# seed_from: how the platform derived params.seed (evaluation.methods.ties.seed_from_record).
_TOP_FIELDS = {
    "method": True,
    "params": False,
    "criteria": False,
    "bids": True,
    "seed_from": False,
}
_CRITERION_FIELDS = {"id": True, "name": False, "max_score": True}
_BID_FIELDS = {
    "bid_id": True,
    "bidder": True,
    "price": True,
    "qualified": False,
    "technical_scores": False,
    "sme": False,
    "adjustments": False,
}


class EvaluationInputError(EvaluationError):
    """The document cannot be evaluated; ``path`` names the offending field."""


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def _object(value: Any, path: str, spec: dict[str, bool]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EvaluationInputError(path or "document", "must be an object")
    for key in value:
        if key not in spec:
            raise EvaluationInputError(_join(path, str(key)), "unknown field")
    for key, required in spec.items():
        if required and key not in value:
            raise EvaluationInputError(_join(path, key), "missing")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise EvaluationInputError(path, "must be a list")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise EvaluationInputError(path, "must be a string")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise EvaluationInputError(path, "must be true or false")
    return value


def _criterion(raw: Any, path: str) -> Criterion:
    data = _object(raw, path, _CRITERION_FIELDS)
    cid = _string(data["id"], f"{path}.id")
    name = _string(data.get("name", cid), f"{path}.name")
    max_score = as_decimal(data["max_score"], f"{path}.max_score", strings=True)
    try:
        return Criterion(id=cid, name=name, max_score=max_score)
    except EvaluationError as exc:  # Criterion's own checks name relative paths
        raise EvaluationInputError(f"{path}.{exc.path}", exc.reason) from exc


def _bid(raw: Any, path: str) -> BidInput:
    data = _object(raw, path, _BID_FIELDS)
    scores_path = f"{path}.technical_scores"
    raw_scores = data.get("technical_scores", {})
    if not isinstance(raw_scores, Mapping):
        raise EvaluationInputError(scores_path, "must be an object")
    scores = {
        cid: [
            as_decimal(v, f"{scores_path}.{cid}[{n}]", strings=True)
            for n, v in enumerate(_list(values, f"{scores_path}.{cid}"))
        ]
        for cid, values in raw_scores.items()
    }
    fields = {
        "bid_id": _string(data["bid_id"], f"{path}.bid_id"),
        "bidder": _string(data["bidder"], f"{path}.bidder"),
        "price": as_decimal(data["price"], f"{path}.price", strings=True),
        "qualified": _bool(data.get("qualified", True), f"{path}.qualified"),
        "sme": _bool(data.get("sme", False), f"{path}.sme"),
        "adjustments": as_decimal(data.get("adjustments", 0), f"{path}.adjustments", strings=True),
    }
    try:
        return BidInput(technical_scores=scores, **fields)
    except EvaluationError as exc:  # BidInput's own checks name relative paths
        raise EvaluationInputError(f"{path}.{exc.path}", exc.reason) from exc


def evaluate_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Rank the bids of a JSON-safe document and return ``Ranking.to_dict()``."""
    try:
        data = _object(doc, "", _TOP_FIELDS)
        method = get_method(_string(data["method"], "method"))
        raw_params = data.get("params", {})
        if not isinstance(raw_params, Mapping):
            raise EvaluationInputError("params", "must be an object")
        try:
            params = Params.from_dict(raw_params)
        except EvaluationError as exc:
            raise EvaluationInputError(_join("params", exc.path), exc.reason) from exc
        criteria = [
            _criterion(c, f"criteria[{j}]")
            for j, c in enumerate(_list(data.get("criteria", []), "criteria"))
        ]
        bids = [_bid(b, f"bids[{i}]") for i, b in enumerate(_list(data["bids"], "bids"))]
        return method.rank(bids, criteria, params).to_dict()
    except EvaluationInputError:
        raise
    except EvaluationError as exc:
        raise EvaluationInputError(exc.path, exc.reason) from exc


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two prices for one bid would be ambiguous: refuse rather than pick one.
            raise EvaluationInputError(key, "duplicate key in JSON object")
        result[key] = value
    return result


def evaluate_json(text: str | bytes) -> dict[str, Any]:
    """Parse JSON text (refusing duplicate keys) and evaluate it."""
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise EvaluationInputError(
            "document", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    return evaluate_document(doc)
