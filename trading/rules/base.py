"""The shapes of legal rules: a `Rule` is one number with its citation, a `Ruleset` is
the rules of one (category, method) pair. The numbers themselves live in rulesets.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from trading.enums import Category, Method, PriceBasis

__all__ = [
    "INTEGER_UNITS",
    "MethodRule",
    "Rule",
    "RuleConfigError",
    "RuleValue",
    "Ruleset",
    "Unit",
]

Unit = Literal["days", "working_days", "count", "percent", "yuan"]
RuleValue = Decimal | int

# Periods and head counts are whole numbers; percent and yuan may carry decimals.
INTEGER_UNITS: frozenset[str] = frozenset({"days", "working_days", "count"})
_UNITS: frozenset[str] = INTEGER_UNITS | {"percent", "yuan"}


class RuleConfigError(ValueError):
    """A ruleset lookup or override is invalid (configuration error, not a violation)."""


def _coerce(rule_id: str, unit: str, value: object) -> RuleValue:
    """Validate a rule value for its unit; floats are refused (money is never float)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise RuleConfigError(
            f"规则 {rule_id} 的取值必须是整数或 Decimal，实际为 {type(value).__name__} / "
            f"rule {rule_id!r}: value must be int or Decimal, got {type(value).__name__}"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise RuleConfigError(f"规则 {rule_id} 的取值无效 / rule {rule_id!r}: value not finite")
    if value < 0:
        raise RuleConfigError(
            f"规则 {rule_id} 的取值不得为负数：{value} / rule {rule_id!r}: negative value {value}"
        )
    if unit in INTEGER_UNITS:
        if value != int(value):
            raise RuleConfigError(
                f"规则 {rule_id} 的单位为 {unit}，取值必须为整数：{value} / "
                f"rule {rule_id!r} counts {unit}: value must be whole, got {value}"
            )
        return int(value)
    return Decimal(value)


@dataclass(frozen=True, slots=True)
class Rule:
    """One legal number, e.g. bid_period_days = 20 days (招标投标法 第24条)."""

    id: str
    value: RuleValue
    unit: Unit
    citation: str
    text_zh: str
    text_en: str
    # The statutory value when a center's configuration replaced it (for the audit log).
    overridden_from: RuleValue | None = None

    def __post_init__(self) -> None:
        if self.unit not in _UNITS:
            raise RuleConfigError(f"rule {self.id!r}: unknown unit {self.unit!r}")
        object.__setattr__(self, "value", _coerce(self.id, self.unit, self.value))

    @property
    def is_overridden(self) -> bool:
        return self.overridden_from is not None


@dataclass(frozen=True, slots=True)
class MethodRule:
    """Which evaluation methods (names in evaluation.methods.registry) a ruleset allows,
    with the citation; e.g. government procurement: only 综合评分法 and 最低评标价法."""

    methods: frozenset[str]
    citation: str
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The rules of one category + method, keyed by rule id."""

    key: str  # "construction/open_tender"
    category: Category
    method: Method
    name_zh: str
    name_en: str
    rules: Mapping[str, Rule] = field(hash=False)
    # What bid security is measured against: construction uses the estimated price
    # (the control price when one is set, else the budget), procurement the budget.
    security_basis: PriceBasis = PriceBasis.BUDGET
    notes: tuple[str, ...] = field(default=())
    # None: the ruleset restricts no evaluation method.
    evaluation_methods: MethodRule | None = None

    def __post_init__(self) -> None:
        for rule_id, rule in self.rules.items():
            if rule_id != rule.id:
                raise RuleConfigError(f"ruleset {self.key}: rule {rule.id!r} filed as {rule_id!r}")
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def rule(self, rule_id: str) -> Rule:
        """The rule, or `RuleConfigError` naming the ruleset and the missing id."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise RuleConfigError(
                f"规则集 {self.key} 中没有规则 {rule_id} / "
                f"ruleset {self.key!r} has no rule {rule_id!r}; "
                f"known: {', '.join(sorted(self.rules))}"
            ) from None

    def get(self, rule_id: str) -> Rule | None:
        """The rule when this ruleset has it (rules are optional per method)."""
        return self.rules.get(rule_id)

    def value(self, rule_id: str) -> RuleValue:
        return self.rule(rule_id).value

    def with_overrides(self, overrides: Mapping[str, RuleValue]) -> Ruleset:
        """A new ruleset with a center's configured numbers; unknown ids are refused.

        An override equal to the current value changes nothing and is not recorded.
        Overriding twice keeps the statutory value in `overridden_from`.
        """
        unknown = sorted(set(overrides) - set(self.rules))
        if unknown:
            raise RuleConfigError(
                f"规则集 {self.key} 中没有可覆盖的规则：{', '.join(unknown)} / "
                f"ruleset {self.key!r} has no rule to override: {', '.join(unknown)}"
            )
        rules = dict(self.rules)
        for rule_id, raw in overrides.items():
            current = rules[rule_id]
            value = _coerce(rule_id, current.unit, raw)
            if value == current.value:
                continue
            original = current.overridden_from if current.is_overridden else current.value
            # Setting the statutory value again clears the override.
            restored = value == original
            rules[rule_id] = replace(
                current, value=value, overridden_from=None if restored else original
            )
        return replace(self, rules=rules)

    def overrides(self) -> dict[str, tuple[RuleValue, RuleValue]]:
        """{rule id: (statutory value, configured value)} — what the audit log records."""
        return {
            rule_id: (rule.overridden_from, rule.value)
            for rule_id, rule in self.rules.items()
            if rule.overridden_from is not None
        }
