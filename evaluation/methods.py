"""Plug-in evaluation methods: bids + criteria + parameters → scores, ranking, reasons.

Pure functions over ``Decimal`` (no database, no web) so that anyone can recompute a
published ranking from the published inputs (see ``evaluation/offline.py`` and
RULES.md "Scoring formulas").

Conventions shared by every method:

* Intermediate arithmetic runs in a fixed 40-digit context, independent of the
  caller's decimal context, so a recomputation on another machine gives the same
  digits. Scores and percentages are then rounded half-up to ``params.places``.
* ``total = price_score + technical_score`` of the *rounded* parts, so the published
  figures add up; ties are judged on those published figures.
* Errors raised while ranking carry the path of the offending input
  (``bids[2].price``, ``params.seed``); errors raised by a single object's
  constructor carry a path relative to that object (``price``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

__all__ = [
    "METHODS",
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
    "deviation_flags",
    "draw_digest",
    "get_method",
    "quantize",
]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Explicit context: results must not depend on whatever context the caller set up.
_CTX = Context(prec=40, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])

# Plain decimal notation only: no exponent, no NaN/Infinity, no thousands separator.
_AMOUNT_RE = re.compile(r"-?\d+(\.\d+)?")


class EvaluationError(ValueError):
    """Bad input or parameters; ``path`` names the offending field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def as_decimal(value: object, path: str, *, strings: bool = False) -> Decimal:
    """Coerce an exact amount to Decimal; floats are refused (they are not exact).

    ``strings=True`` also accepts plain decimal strings such as ``"123.45"`` (the
    JSON form of amounts).
    """
    if isinstance(value, bool):  # bool is an int subclass; True is not an amount
        raise EvaluationError(path, "not a decimal amount")
    if isinstance(value, float):
        raise EvaluationError(
            path, "not a decimal amount (floats are not accepted; write it as a string)"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EvaluationError(path, "not a decimal amount (must be finite)")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if strings and isinstance(value, str) and _AMOUNT_RE.fullmatch(value):
        return Decimal(value)
    raise EvaluationError(path, "not a decimal amount")


def quantize(value: Decimal, places: int = 2) -> Decimal:
    """Round half-up to ``places`` decimal places (RULES.md: half-up, places stated)."""
    with localcontext(_CTX):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _add(a: Decimal, b: Decimal) -> Decimal:
    # Exact sum of the published parts, whatever precision the caller's context has.
    with localcontext(_CTX):
        return a + b


def _json(value: Any) -> Any:
    # Decimals as plain strings (never exponent notation) so JSON stays exact.
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    return value


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Criterion:
    """A scored factor; each expert scores it within ``0..max_score``."""

    id: str
    name: str
    max_score: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise EvaluationError("id", "must be a non-empty string")
        if not isinstance(self.name, str):
            raise EvaluationError("name", "must be a string")
        max_score = as_decimal(self.max_score, "max_score")
        if max_score <= 0:
            raise EvaluationError("max_score", "must be positive")
        object.__setattr__(self, "max_score", max_score)


@dataclass(frozen=True)
class BidInput:
    """One opened bid as the evaluation committee sees it."""

    bid_id: str
    bidder: str
    price: Decimal
    qualified: bool = True
    # criterion id → one score per expert, in expert order
    technical_scores: Mapping[str, Sequence[Decimal]] = field(default_factory=dict)
    sme: bool = False  # small/micro enterprise (财库〔2022〕19号 price deduction)
    adjustments: Decimal = ZERO  # published evaluated-price adjustments (+/-)

    def __post_init__(self) -> None:
        if not isinstance(self.bid_id, str) or not self.bid_id:
            raise EvaluationError("bid_id", "must be a non-empty string")
        if not isinstance(self.bidder, str):
            raise EvaluationError("bidder", "must be a string")
        price = as_decimal(self.price, "price")
        if price <= 0:
            raise EvaluationError("price", "must be positive")
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "adjustments", as_decimal(self.adjustments, "adjustments"))
        for name in ("qualified", "sme"):
            if not isinstance(getattr(self, name), bool):
                raise EvaluationError(name, "must be true or false")
        if not isinstance(self.technical_scores, Mapping):
            raise EvaluationError("technical_scores", "must be a mapping")
        scores: dict[str, tuple[Decimal, ...]] = {}
        for cid, values in self.technical_scores.items():
            if isinstance(values, str | bytes) or not isinstance(values, Sequence):
                raise EvaluationError(f"technical_scores.{cid}", "must be a list of scores")
            scores[cid] = tuple(
                as_decimal(v, f"technical_scores.{cid}[{i}]") for i, v in enumerate(values)
            )
        # Read-only copy: a ranking must not change because the caller's dict did.
        object.__setattr__(self, "technical_scores", MappingProxyType(scores))


TIE_BREAK_STEPS: tuple[str, ...] = ("total_desc", "price_asc", "technical_desc")

_DECIMAL_FIELDS = frozenset(
    {"price_weight", "sme_deduction", "k", "coefficient_above", "coefficient_below"}
)
_OPTIONAL_DECIMAL_FIELDS = frozenset({"full_price_score", "control_price", "reserve_price"})
_BOOL_FIELDS = frozenset({"trim", "drop_extremes"})
_INT_FIELDS = frozenset({"places", "drop_extremes_min"})
# The down-float coefficient is written "K" in tender documents.
_PARAM_ALIASES = {"K": "k"}


@dataclass(frozen=True)
class Params:
    """Method parameters, as the tender documents state them.

    Every method reads the fields it needs and ignores the rest; the full set is
    recorded with the ranking so a recomputation uses exactly the same numbers.
    """

    price_weight: Decimal = Decimal("0.30")  # fraction: 0.30 → 30 price points
    places: int = 2  # decimal places of scores and percentages
    sme_deduction: Decimal = ZERO  # 0, or 0.10–0.20 (财库〔2022〕19号)
    trim: bool = False  # drop one highest + one lowest expert score per criterion
    k: Decimal = ZERO  # down-float coefficient K (fraction: 0.01 = 1 %)
    drop_extremes: bool = False  # average_deviation: drop highest + lowest price
    drop_extremes_min: int = 5  # ... only with at least this many valid bids
    coefficient_above: Decimal = ONE  # points lost per 1 % above the benchmark
    coefficient_below: Decimal = Decimal("0.5")  # points lost per 1 % below it
    full_price_score: Decimal | None = None  # None → price_weight × 100
    tie_break: tuple[str, ...] = TIE_BREAK_STEPS
    seed: str = ""  # recorded seed of the final random draw
    control_price: Decimal | None = None  # 最高投标限价: bids above it are rejected
    reserve_price: Decimal | None = None  # 底价 (highest_price)
    goods_or_services: str | None = None  # set for government procurement (87号令)

    def __post_init__(self) -> None:
        for name in _DECIMAL_FIELDS:
            object.__setattr__(self, name, as_decimal(getattr(self, name), name))
        for name in _OPTIONAL_DECIMAL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, as_decimal(value, name))
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise EvaluationError(name, "must be true or false")
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise EvaluationError(name, "must be an integer")
        if not 0 <= self.places <= 10:
            raise EvaluationError("places", "must be between 0 and 10")
        if self.drop_extremes_min < 3:
            raise EvaluationError("drop_extremes_min", "must be at least 3")
        if not ZERO < self.price_weight <= ONE:
            raise EvaluationError("price_weight", "must be a fraction in (0, 1], e.g. 0.30")
        if self.sme_deduction != 0 and not (
            Decimal("0.10") <= self.sme_deduction <= Decimal("0.20")
        ):
            raise EvaluationError(
                "sme_deduction", "must be 0 or between 0.10 and 0.20 (财库〔2022〕19号)"
            )
        if not ZERO <= self.k < ONE:
            raise EvaluationError("k", "must be a fraction in [0, 1), e.g. 0.01 for 1 %")
        for name in ("coefficient_above", "coefficient_below"):
            if getattr(self, name) < 0:
                raise EvaluationError(name, "must not be negative")
        if self.full_price_score is not None and self.full_price_score < 0:
            raise EvaluationError("full_price_score", "must not be negative")
        if self.control_price is not None and self.control_price <= 0:
            raise EvaluationError("control_price", "must be positive")
        if self.reserve_price is not None and self.reserve_price < 0:
            raise EvaluationError("reserve_price", "must not be negative")
        if isinstance(self.tie_break, str) or not isinstance(self.tie_break, Sequence):
            raise EvaluationError("tie_break", "must be a list of steps")
        tie_break = tuple(self.tie_break)
        for i, step in enumerate(tie_break):
            if step not in TIE_BREAK_STEPS:
                raise EvaluationError(
                    f"tie_break[{i}]", f"unknown step {step!r}; use {', '.join(TIE_BREAK_STEPS)}"
                )
        if len(set(tie_break)) != len(tie_break):
            raise EvaluationError("tie_break", "steps must not repeat")
        object.__setattr__(self, "tie_break", tie_break)
        if not isinstance(self.seed, str):
            raise EvaluationError("seed", "must be a string")
        if self.goods_or_services not in (None, "goods", "services"):
            raise EvaluationError("goods_or_services", "must be 'goods' or 'services'")

    @property
    def effective_full_price_score(self) -> Decimal:
        if self.full_price_score is not None:
            return self.full_price_score
        with localcontext(_CTX):
            return self.price_weight * HUNDRED

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (Decimals as strings); ``from_dict`` reads it back."""
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Params:
        """Read parameters from JSON-safe data; amounts are strings or integers.

        Unknown keys are refused: a typo must not silently fall back to a default.
        """
        if not isinstance(data, Mapping):
            raise EvaluationError("params", "must be an object")
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = _PARAM_ALIASES.get(raw_key, raw_key)
            if key not in known:
                raise EvaluationError(str(raw_key), "unknown parameter")
            if key in kwargs:
                raise EvaluationError(str(raw_key), "given twice")
            if key in _DECIMAL_FIELDS or (key in _OPTIONAL_DECIMAL_FIELDS and value is not None):
                value = as_decimal(value, str(raw_key), strings=True)
            elif key == "tie_break" and not isinstance(value, list):
                raise EvaluationError(key, "must be a list of steps")
            kwargs[key] = value
        return cls(**kwargs)


# --------------------------------------------------------------------------- outputs


@dataclass
class RankedBid:
    """One bid's published result. ``rank`` is 1-based; ``None`` when excluded."""

    bid_id: str
    bidder: str
    price: Decimal
    evaluated_price: Decimal
    price_score: Decimal | None = None
    technical_score: Decimal | None = None
    total: Decimal | None = None
    rank: int | None = None
    excluded: bool = False
    reasons: list[str] = field(default_factory=list)
    deviation: Decimal | None = None  # average_deviation: % from the benchmark

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass
class Ranking:
    """A method's result: ranked bids (rank order) followed by excluded bids."""

    method: str
    params: dict[str, Any]
    bids: list[RankedBid]
    benchmark: Decimal | None = None  # 评标基准价 when the method has one

    @property
    def ranked(self) -> list[RankedBid]:
        return [b for b in self.bids if not b.excluded]

    @property
    def excluded(self) -> list[RankedBid]:
        return [b for b in self.bids if b.excluded]

    @property
    def winner(self) -> RankedBid | None:
        ranked = self.ranked
        return ranked[0] if ranked else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": dict(self.params),
            "benchmark": _json(self.benchmark),
            "bids": [b.to_dict() for b in self.bids],
        }


class EvaluationMethod(Protocol):
    name: str

    def rank(
        self, bids: Sequence[BidInput], criteria: Sequence[Criterion], params: Params
    ) -> Ranking: ...


# --------------------------------------------------------------------------- helpers


def draw_digest(seed: str, bid_id: str) -> str:
    """The recorded random draw: bids still tied sort by SHA-256(seed + bid_id) hex."""
    return hashlib.sha256((seed + bid_id).encode("utf-8")).hexdigest()


def _mean(values: Sequence[Decimal], *, trim: bool = False) -> Decimal:
    with localcontext(_CTX):
        if trim and len(values) >= 3:
            # Drop exactly one highest and one lowest, even when they repeat.
            values = sorted(values)[1:-1]
        return sum(values, ZERO) / len(values)


def _check_inputs(bids: Sequence[BidInput], criteria: Sequence[Criterion]) -> None:
    seen_criteria: set[str] = set()
    for j, criterion in enumerate(criteria):
        if not isinstance(criterion, Criterion):
            raise EvaluationError(f"criteria[{j}]", "must be a Criterion")
        if criterion.id in seen_criteria:
            raise EvaluationError(f"criteria[{j}].id", f"duplicate criterion {criterion.id!r}")
        seen_criteria.add(criterion.id)
    by_id = {c.id: c for c in criteria}
    seen_bids: set[str] = set()
    for i, bid in enumerate(bids):
        if not isinstance(bid, BidInput):
            raise EvaluationError(f"bids[{i}]", "must be a BidInput")
        if bid.bid_id in seen_bids:
            raise EvaluationError(f"bids[{i}].bid_id", f"duplicate bid {bid.bid_id!r}")
        seen_bids.add(bid.bid_id)
        for cid, scores in bid.technical_scores.items():
            path = f"bids[{i}].technical_scores.{cid}"
            criterion = by_id.get(cid)
            if criterion is None:
                raise EvaluationError(path, "unknown criterion")
            if not scores:
                raise EvaluationError(path, "no expert scores")
            for n, score in enumerate(scores):
                if not ZERO <= score <= criterion.max_score:
                    raise EvaluationError(
                        f"{path}[{n}]",
                        f"score {score} outside 0..{criterion.max_score}",
                    )


def _technical_score(
    index: int, bid: BidInput, criteria: Sequence[Criterion], params: Params
) -> Decimal:
    """Sum over criteria of the (trimmed) mean expert score, rounded to places."""
    total = ZERO
    for criterion in criteria:
        scores = bid.technical_scores.get(criterion.id)
        if not scores:
            raise EvaluationError(
                f"bids[{index}].technical_scores.{criterion.id}", "missing expert scores"
            )
        with localcontext(_CTX):
            total += _mean(scores, trim=params.trim)
    return quantize(total, params.places)


# (step name, value of an entry, descending?)
_SortKey = tuple[str, Callable[["RankedBid"], Decimal | None], bool]

_STEP_KEYS: dict[str, _SortKey] = {
    "total_desc": ("total_desc", lambda e: e.total, True),
    # 87号令 56 speaks of the quoted price (投标报价), not the evaluated price.
    "price_asc": ("price_asc", lambda e: e.price, False),
    "technical_desc": ("technical_desc", lambda e: e.technical_score, True),
}
_STEP_REASONS = {
    "total_desc": "总分高者优先",
    "price_asc": "投标报价低者优先",
    "technical_desc": "技术得分高者优先",
}


def _order(entries: list[RankedBid], primary: _SortKey, params: Params) -> list[RankedBid]:
    keys = [primary, *(_STEP_KEYS[s] for s in params.tie_break)]
    return _partition(entries, keys, params, tied=False)


def _partition(
    group: list[RankedBid], keys: list[_SortKey], params: Params, *, tied: bool
) -> list[RankedBid]:
    if len(group) <= 1:
        return group
    if not keys:
        return _draw(group, params)
    (step, value_of, descending), rest = keys[0], keys[1:]
    values = [value_of(e) for e in group]
    if any(v is None for v in values):
        # The step does not apply to this method (e.g. no totals in lowest price).
        return _partition(group, rest, params, tied=tied)
    distinct = sorted({v for v in values if v is not None}, reverse=descending)
    if tied and len(distinct) > 1:
        for entry in group:
            entry.reasons.append(f"tie broken by {step} {_STEP_REASONS[step]}")
    ordered: list[RankedBid] = []
    for v in distinct:
        ordered.extend(_partition([e for e in group if value_of(e) == v], rest, params, tied=True))
    return ordered


def _draw(group: list[RankedBid], params: Params) -> list[RankedBid]:
    if not params.seed:
        ids = ", ".join(e.bid_id for e in group)
        raise EvaluationError(
            "params.seed",
            f"bids {ids} remain tied after tie_break; a recorded random-draw seed is "
            "required 需要随机抽签种子",
        )
    digests = {e.bid_id: draw_digest(params.seed, e.bid_id) for e in group}
    ordered = sorted(group, key=lambda e: (digests[e.bid_id], e.bid_id))
    for entry in ordered:
        entry.reasons.append(
            f"tie broken by random draw seed={params.seed} 随机抽签 "
            f"sha256(seed+bid_id)={digests[entry.bid_id]}"
        )
    return ordered


def get_method(name: str) -> EvaluationMethod:
    try:
        return METHODS[name]
    except (KeyError, TypeError):
        raise EvaluationError(
            "method", f"unknown method {name!r}; use {', '.join(sorted(METHODS))}"
        ) from None


def _evaluated_price(bid: BidInput, params: Params) -> Decimal:
    """Price used for scoring: SME deduction and published adjustments applied.

    The deduction changes the evaluated price only; the contract price stays the
    quoted price (财库〔2022〕19号).
    """
    with localcontext(_CTX):
        price = bid.price
        if bid.sme and params.sme_deduction:
            price = price * (ONE - params.sme_deduction)
        return price + bid.adjustments


# --------------------------------------------------------------------------- methods


class _Method:
    """Shared skeleton: validate → exclude → score → order → number the ranks."""

    name: str = ""
    primary: _SortKey = _STEP_KEYS["total_desc"]

    def rank(
        self, bids: Sequence[BidInput], criteria: Sequence[Criterion], params: Params
    ) -> Ranking:
        if not isinstance(params, Params):
            raise EvaluationError("params", "must be a Params")
        _check_inputs(bids, criteria)
        self.check_params(params)
        entries = [
            RankedBid(
                bid_id=b.bid_id,
                bidder=b.bidder,
                price=b.price,
                evaluated_price=self.evaluated_price(b, params),
            )
            for b in bids
        ]
        valid: list[tuple[int, BidInput, RankedBid]] = []
        for i, (bid, entry) in enumerate(zip(bids, entries, strict=True)):
            reasons = self.exclusions(bid, params)
            if reasons:
                entry.excluded = True
                entry.reasons.extend(reasons)
                continue
            if entry.evaluated_price <= 0:
                raise EvaluationError(
                    f"bids[{i}].adjustments", "evaluated price must stay positive"
                )
            valid.append((i, bid, entry))
        benchmark = self.score(valid, criteria, params) if valid else None
        ordered = _order([e for _, _, e in valid], self.primary, params)
        for position, entry in enumerate(ordered, start=1):
            entry.rank = position
        excluded = [e for e in entries if e.excluded]
        return Ranking(self.name, params.to_dict(), ordered + excluded, benchmark)

    def check_params(self, params: Params) -> None:
        """Method-specific parameter rules (raise EvaluationError)."""

    def evaluated_price(self, bid: BidInput, params: Params) -> Decimal:
        return _evaluated_price(bid, params)

    def exclusions(self, bid: BidInput, params: Params) -> list[str]:
        reasons: list[str] = []
        if not bid.qualified:
            reasons.append("not qualified 资格/符合性审查未通过")
        if params.control_price is not None and bid.price > params.control_price:
            reasons.append(
                f"above control price 最高投标限价 ({bid.price} > {params.control_price})"
            )
        return reasons

    def score(
        self,
        valid: list[tuple[int, BidInput, RankedBid]],
        criteria: Sequence[Criterion],
        params: Params,
    ) -> Decimal | None:
        """Fill in the score fields of the valid entries; return the benchmark."""
        return None


class LowPriceMethod(_Method):
    """低价优先法 (87号令 55): benchmark = lowest valid evaluated price.

    price score = benchmark / evaluated price × price_weight × 100;
    total = price score + technical score (mean, or trimmed mean, per criterion).
    """

    name = "low_price"

    def check_params(self, params: Params) -> None:
        # 87号令 55: price weight ≥ 30 % for goods, ≥ 10 % for services.
        minimum = {"goods": Decimal("0.30"), "services": Decimal("0.10")}.get(
            params.goods_or_services or ""
        )
        if minimum is not None and params.price_weight < minimum:
            raise EvaluationError(
                "params.price_weight",
                f"at least {minimum} for {params.goods_or_services} (87号令 55)",
            )

    def score(
        self,
        valid: list[tuple[int, BidInput, RankedBid]],
        criteria: Sequence[Criterion],
        params: Params,
    ) -> Decimal | None:
        benchmark = min(e.evaluated_price for _, _, e in valid)
        for i, bid, entry in valid:
            with localcontext(_CTX):
                raw = benchmark / entry.evaluated_price * params.price_weight * HUNDRED
            entry.price_score = quantize(raw, params.places)
            entry.technical_score = _technical_score(i, bid, criteria, params)
            entry.total = _add(entry.price_score, entry.technical_score)
        return benchmark


class LowestEvaluatedPriceMethod(_Method):
    """经评审的最低投标价法: qualified bids ranked by evaluated price, lowest first.

    No scores: a bid found below cost is marked not qualified by the committee.
    """

    name = "lowest_evaluated_price"
    primary: _SortKey = ("evaluated_price_asc", lambda e: e.evaluated_price, False)

    def score(
        self,
        valid: list[tuple[int, BidInput, RankedBid]],
        criteria: Sequence[Criterion],
        params: Params,
    ) -> Decimal | None:
        return min(e.evaluated_price for _, _, e in valid)


class AverageDeviationMethod(_Method):
    """Construction 综合评估法, average-with-deviation price score.

    benchmark = mean of valid evaluated prices (highest and lowest dropped when
    ``drop_extremes`` and at least ``drop_extremes_min`` valid bids) × (1 − K);
    deviation % = (price − benchmark) / benchmark × 100, rounded to places;
    price score = full − |deviation| × (coefficient_above or _below), floor 0.
    """

    name = "average_deviation"

    def check_params(self, params: Params) -> None:
        if params.goods_or_services is not None:
            # RULES.md: not allowed in government procurement (采购法条例 34).
            raise EvaluationError(
                "params.goods_or_services",
                "average_deviation is not allowed in government procurement (采购法条例 34)",
            )

    def score(
        self,
        valid: list[tuple[int, BidInput, RankedBid]],
        criteria: Sequence[Criterion],
        params: Params,
    ) -> Decimal | None:
        prices = sorted(e.evaluated_price for _, _, e in valid)
        if params.drop_extremes and len(prices) >= params.drop_extremes_min:
            prices = prices[1:-1]
        full = params.effective_full_price_score
        with localcontext(_CTX):
            benchmark = sum(prices, ZERO) / len(prices) * (ONE - params.k)
        for i, bid, entry in valid:
            with localcontext(_CTX):
                deviation = quantize(
                    (entry.evaluated_price - benchmark) / benchmark * HUNDRED, params.places
                )
                coefficient = (
                    params.coefficient_above if deviation > 0 else params.coefficient_below
                )
                raw = max(ZERO, full - abs(deviation) * coefficient)
            entry.deviation = deviation
            entry.price_score = quantize(raw, params.places)
            entry.technical_score = _technical_score(i, bid, criteria, params)
            entry.total = _add(entry.price_score, entry.technical_score)
        return benchmark


class HighestPriceMethod(_Method):
    """Land use / property rights: valid bids at or above the reserve; highest wins.

    The evaluated price is the quoted price (no deductions apply to a sale).
    """

    name = "highest_price"
    primary: _SortKey = ("price_desc", lambda e: e.price, True)

    def evaluated_price(self, bid: BidInput, params: Params) -> Decimal:
        return bid.price

    def exclusions(self, bid: BidInput, params: Params) -> list[str]:
        reasons = super().exclusions(bid, params)
        if params.reserve_price is not None and bid.price < params.reserve_price:
            reasons.append(f"below reserve price 底价 ({bid.price} < {params.reserve_price})")
        return reasons

    def score(
        self,
        valid: list[tuple[int, BidInput, RankedBid]],
        criteria: Sequence[Criterion],
        params: Params,
    ) -> Decimal | None:
        return params.reserve_price


METHODS: dict[str, EvaluationMethod] = {
    m.name: m
    for m in (
        LowPriceMethod(),
        LowestEvaluatedPriceMethod(),
        AverageDeviationMethod(),
        HighestPriceMethod(),
    )
}


# --------------------------------------------------------------------------- experts


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
            with localcontext(_CTX):
                limit = share * criterion.max_score
                outliers = [(n, s) for n, s in enumerate(scores) if abs(s - mean) > limit]
            flags.extend(
                DeviationFlag(bid.bid_id, criterion.id, n, s, quantize(mean, places))
                for n, s in outliers
            )
    return flags
