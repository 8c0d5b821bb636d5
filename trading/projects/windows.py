"""A lot's decryption window (电子招标投标办法 第30条): the minutes a lot sets, checked against the
bounds of its ruleset; a lot that sets none takes the ruleset's `decrypt_window_minutes`.

Pure functions (no database): registration, the draft editor and the form page check with the
same ones, and the opening (bidding.opening.window) reads the length from `minutes`.
"""

from __future__ import annotations

from trading.kernel.errors import ValidationFailed
from trading.projects.schemas import ProjectIn
from trading.rules import RuleConfigError, Ruleset, Violation, get_ruleset
from trading.rules.engine import PLATFORM_CITATION

# Where a ruleset has no such rules (a method without a sealed opening of its own).
DEFAULT_MINUTES = 30
DEFAULT_BOUNDS = (15, 120)
FIELD = "decrypt_window_minutes"


def minutes(lot_minutes: int | None, ruleset: Ruleset | None) -> int:
    """The window's length: the lot's own, else the ruleset's."""
    if lot_minutes is not None:
        return lot_minutes
    rule = ruleset.get("decrypt_window_minutes") if ruleset is not None else None
    return int(rule.value) if rule is not None else DEFAULT_MINUTES


def bounds(ruleset: Ruleset | None) -> tuple[int, int, str]:
    """(least, most, citation) a lot's window may be."""
    low = ruleset.get("decrypt_window_min_minutes") if ruleset is not None else None
    high = ruleset.get("decrypt_window_max_minutes") if ruleset is not None else None
    if low is None or high is None:
        return (*DEFAULT_BOUNDS, PLATFORM_CITATION)
    return int(low.value), int(high.value), high.citation


def violation(lot_minutes: int | None, ruleset: Ruleset | None) -> Violation | None:
    """Why a lot may not set this window, or None (None is always allowed: the default)."""
    if lot_minutes is None:
        return None
    low, high, citation = bounds(ruleset)
    if low <= lot_minutes <= high:
        return None
    rule = "decrypt_window_min_minutes" if lot_minutes < low else "decrypt_window_max_minutes"
    return Violation(
        rule,
        citation,
        f"解密时限应在{low}至{high}分钟之间（留空按规则集的{minutes(None, ruleset)}分钟），"
        f"实际为{lot_minutes}分钟",
        f"the decryption window must be {low} to {high} minutes (empty: the ruleset's "
        f"{minutes(None, ruleset)}), got {lot_minutes}",
    )


def _ruleset(data: ProjectIn) -> Ruleset | None:
    try:
        return get_ruleset(data.category, data.method)
    except RuleConfigError:
        return None  # no ruleset for the pair: publishing refuses it with the reason


def violations(data: ProjectIn) -> list[tuple[int, Violation]]:
    """(lot index, violation) for each lot whose window is outside the ruleset's bounds."""
    ruleset = _ruleset(data)
    found = ((i, violation(lot.decrypt_window_minutes, ruleset)) for i, lot in enumerate(data.lots))
    return [(i, v) for i, v in found if v is not None]


def check(data: ProjectIn) -> None:
    """422 naming `lots[i].decrypt_window_minutes` with the rule's citation; nothing written."""
    for i, v in violations(data):
        field = f"lots[{i}].{FIELD}"
        raise ValidationFailed(
            f"{field}: {v.citation}：{v.message_zh} / {v.message_en}",
            detail={"field": field, "citation": v.citation, "rule": v.rule_id},
        )
