"""What a lot requires of a bidder before it may bid: registration (报名) when its ruleset says
so, and the bid security the tender documents set (lot.bid_security > 0, 条例 26).

Pure functions of the lot's category, method, center overrides and security amount, so the
submission's hot path can decide from facts it already reads in one select (see
bidding/submission/admission.py) and the bidder page shows the same verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from trading.kernel.errors import RuleViolation
from trading.rules.base import Rule, RuleConfigError
from trading.rules.rulesets import LAW_REG, get_ruleset

REGISTRATION_RULE = "registration_required"
SECURITY_RULE = "bid_security_max_percent"  # the article that governs bid security
SECURITY_FALLBACK = f"{LAW_REG} 第26条"


@dataclass(frozen=True, slots=True)
class Terms:
    registration: Rule | None  # the rule, when the lot requires registration
    security: Decimal  # the security the documents require; 0: none
    security_citation: str

    @property
    def any(self) -> bool:
        return self.registration is not None or self.security > 0


@lru_cache(maxsize=256)
def _rules(category: str, method: str, override: str | None) -> tuple[Rule | None, str]:
    try:
        ruleset = get_ruleset(category, method)
    except RuleConfigError:
        return None, SECURITY_FALLBACK
    if override is not None and REGISTRATION_RULE in ruleset:
        # A broken override keeps the statutory rule (publishing refuses it anyway).
        with suppress(RuleConfigError, InvalidOperation):
            ruleset = ruleset.with_overrides({REGISTRATION_RULE: Decimal(override)})
    rule = ruleset.get(REGISTRATION_RULE)
    security = ruleset.get(SECURITY_RULE)
    return (
        rule if rule is not None and rule.value >= 1 else None,
        security.citation if security is not None else SECURITY_FALLBACK,
    )


def terms_of(
    category: str,
    method: str,
    bid_security: Decimal,
    center_code: str,
    center_overrides: Mapping[str, Any] | None,
    settings_overrides: Mapping[str, Mapping[str, Any]],
) -> Terms:
    """The lot's terms, with a center's override of the registration rule applied (the
    configured value wins over the center's stored one, as in `effective_ruleset`)."""
    overrides = {**(center_overrides or {}), **settings_overrides.get(center_code, {})}
    raw = overrides.get(REGISTRATION_RULE)
    registration, citation = _rules(str(category), str(method), None if raw is None else str(raw))
    return Terms(registration, bid_security or Decimal(0), citation)


def refusal(terms: Terms, registered: bool, security: Decimal | None) -> RuleViolation | None:
    """Why this bidder may not bid yet, citing the rule; None when it may."""
    if terms.registration is not None and not registered:
        rule = terms.registration
        return RuleViolation(
            f"未报名本标段，不能投标（{rule.citation}：{rule.text_zh}）"
            f" / not registered for this lot: register before bidding ({rule.citation})",
            detail={"rule": rule.id, "citation": rule.citation},
        )
    if terms.security > 0 and (security is None or security < terms.security):
        return RuleViolation(
            f"未按招标文件要求提交投标保证金 {terms.security} 元，不能投标"
            f"（{terms.security_citation}）"
            f" / the bid security of {terms.security} yuan the tender documents require is not"
            f" lodged ({terms.security_citation})",
            detail={
                "rule": "bid_security",
                "citation": terms.security_citation,
                "required": str(terms.security),
            },
        )
    return None
