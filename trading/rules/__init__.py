"""Rules engine: legal numbers as data (rulesets.py), day counting (calendar.py) and the
checks that cite them (engine.py). Pure code: no database, no web framework."""

from trading.rules.base import Rule, RuleConfigError, Ruleset
from trading.rules.engine import (
    LotPlan,
    Violation,
    amendment_moves_deadline,
    check_bid_count,
    check_bid_security,
    check_committee_size,
    check_publish,
    objection_cutoff,
    required_committee_size,
)
from trading.rules.rulesets import RULESETS, get_ruleset

__all__ = [
    "RULESETS",
    "LotPlan",
    "Rule",
    "RuleConfigError",
    "Ruleset",
    "Violation",
    "amendment_moves_deadline",
    "check_bid_count",
    "check_bid_security",
    "check_committee_size",
    "check_publish",
    "get_ruleset",
    "objection_cutoff",
    "required_committee_size",
]
