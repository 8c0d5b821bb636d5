"""A score sheet checked: qualification decisions (a fail needs a reason) and per-criterion
scores within each criterion's maximum, as the service stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bidding.queries import OpenedBid
from evaluation.methods.base import Criterion, EvaluationError
from trading.kernel.errors import ValidationFailed
from trading.kernel.money import as_decimal

MAX_COMMENT = 2000


def clean_sheet(
    bids: list[OpenedBid],
    criteria: list[Criterion],
    qualification: Mapping[str, Any],
    scores: Mapping[str, Any],
    *,
    complete: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a sheet; with `complete`, every bid decided and every criterion scored."""
    known = {str(b.bid_id) for b in bids}
    by_id = {c.id: c for c in criteria}
    errors: list[str] = []
    quals: dict[str, Any] = {}
    for key, q in qualification.items():
        if key not in known:
            errors.append(f"qualification.{key}: 无此投标 / no such bid")
            continue
        passed = q.get("pass") if isinstance(q, Mapping) else None
        if passed is None:
            continue  # undecided draft
        reason = str(q.get("reason") or "").strip()[:MAX_COMMENT]
        if not passed and not reason:
            errors.append(f"qualification.{key}.reason: 不通过须写明理由 / a fail needs a reason")
        quals[key] = {"pass": bool(passed), "reason": reason}
    marks: dict[str, Any] = {}
    for key, per in scores.items():
        if key not in known or not isinstance(per, Mapping):
            errors.append(f"scores.{key}: 无此投标 / no such bid")
            continue
        for cid, entry in per.items():
            criterion = by_id.get(cid)
            raw = entry.get("score") if isinstance(entry, Mapping) else None
            if criterion is None:
                errors.append(f"scores.{key}.{cid}: 无此评分因素 / no such criterion")
                continue
            if raw in (None, ""):
                continue
            try:
                score = as_decimal(raw, "score", strings=True)
            except EvaluationError:
                errors.append(f"scores.{key}.{cid}: 应为数字 / must be a number")
                continue
            if not 0 <= score <= criterion.max_score:
                errors.append(
                    f"scores.{key}.{cid}: 应在 0–{criterion.max_score} 之间"
                    f" / must be within 0..{criterion.max_score}"
                )
                continue
            comment = str(entry.get("comment") or "").strip()[:MAX_COMMENT]
            marks.setdefault(key, {})[cid] = {"score": format(score, "f"), "comment": comment}
    if complete:
        for key in sorted(known):
            if key not in quals:
                errors.append(f"qualification.{key}: 尚未判定 / not decided")
            for c in criteria:
                if c.id not in marks.get(key, {}):
                    errors.append(f"scores.{key}.{c.id}: 尚未评分 / not scored")
    if errors:
        raise ValidationFailed("; ".join(errors), detail={"errors": errors})
    return quals, marks
