"""Ordering: the method's primary key, then the published tie-break steps, then a draw.

The steps compare the *published* (rounded) figures, so anyone reading the
results can see why one bid ranks above another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from crypto.canonical import canonical_json
from evaluation.methods.base import EvaluationError, Params, RankedBid

__all__ = ["SEED_FROM", "SEED_LABEL", "draw_digest", "seed_from_record"]

# The tie-break seed is nobody's choice: it is fixed by the signed opening record, which
# exists only after the deadline and which every bidder receives.
SEED_LABEL = "bidhall/tie-break-seed/v1\n"
SEED_FROM = "sha256(label ‖ canonical(opening record))"

# (step name, value of an entry, descending?)
_SortKey = tuple[str, Callable[[RankedBid], Decimal | None], bool]

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


def draw_digest(seed: str, bid_id: str) -> str:
    """The recorded random draw: bids still tied sort by SHA-256(seed + bid_id) hex."""
    return hashlib.sha256((seed + bid_id).encode("utf-8")).hexdigest()


def seed_from_record(signed_record: Mapping[str, Any]) -> str:
    """SHA-256 hex of SEED_LABEL (UTF-8) followed by the canonical JSON of the signed opening
    record ({record, signature, key_id}, crypto.canonical.canonical_json)."""
    return hashlib.sha256(SEED_LABEL.encode() + canonical_json(dict(signed_record))).hexdigest()


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
