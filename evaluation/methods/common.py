"""The shared method skeleton and the scoring helpers several methods use."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from evaluation.methods.base import (
    BidInput,
    Criterion,
    EvaluationError,
    Params,
    RankedBid,
    Ranking,
)
from evaluation.methods.ties import _STEP_KEYS, _order, _SortKey
from trading.kernel.money import DECIMAL_CONTEXT, ONE, ZERO, quantize

# (index in the caller's bid list, the bid, its result entry): the index names paths.
_Valid = list[tuple[int, BidInput, RankedBid]]


def _add(a: Decimal, b: Decimal) -> Decimal:
    # Exact sum of the published parts, whatever precision the caller's context has.
    with localcontext(DECIMAL_CONTEXT):
        return a + b


def _mean(values: Sequence[Decimal], *, trim: bool = False) -> Decimal:
    with localcontext(DECIMAL_CONTEXT):
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
        with localcontext(DECIMAL_CONTEXT):
            total += _mean(scores, trim=params.trim)
    return quantize(total, params.places)


def _evaluated_price(bid: BidInput, params: Params) -> Decimal:
    """Price used for scoring: SME deduction and published adjustments applied.

    The deduction changes the evaluated price only; the contract price stays the
    quoted price (财库〔2022〕19号).
    """
    with localcontext(DECIMAL_CONTEXT):
        price = bid.price
        if bid.sme and params.sme_deduction:
            price = price * (ONE - params.sme_deduction)
        return price + bid.adjustments


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
        valid: _Valid = []
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

    def score(self, valid: _Valid, criteria: Sequence[Criterion], params: Params) -> Decimal | None:
        """Fill in the score fields of the valid entries; return the benchmark."""
        return None
