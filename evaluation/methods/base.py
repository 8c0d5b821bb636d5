"""What every evaluation method consumes and produces: inputs, parameters, results.

Constructors validate their own fields; errors carry a path relative to the
object (``price``), and the method re-raises with the bid's index when ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, localcontext
from types import MappingProxyType
from typing import Any, Protocol

from trading.kernel.money import DECIMAL_CONTEXT, HUNDRED, ONE, ZERO, InputError, as_decimal

__all__ = [
    "TIE_BREAK_STEPS",
    "BidInput",
    "Criterion",
    "EvaluationError",
    "EvaluationMethod",
    "Params",
    "RankedBid",
    "Ranking",
]

# Evaluation's name for the kernel's InputError (same class, so either catches as_decimal's).
EvaluationError = InputError


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
        with localcontext(DECIMAL_CONTEXT):
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
    """The interface every method implements; ``METHODS`` maps ``name`` to one."""

    name: str

    def rank(
        self, bids: Sequence[BidInput], criteria: Sequence[Criterion], params: Params
    ) -> Ranking: ...
