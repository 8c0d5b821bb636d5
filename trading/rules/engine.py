"""Checks a lot's plan against its ruleset; every finding cites the rule it applies.

The engine knows which plan dates a rule id constrains (the tables below) but none of
the legal numbers: those come from the `Ruleset`, so a center's override changes the
verdict without touching code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from trading.enums import Category, Method, PriceBasis
from trading.rules.base import Rule, RuleConfigError, Ruleset
from trading.rules.periods import PeriodClock

__all__ = [
    "PLATFORM_CITATION",
    "LotPlan",
    "Violation",
    "amendment_moves_deadline",
    "check_bid_count",
    "check_bid_security",
    "check_committee_size",
    "check_publish",
    "objection_cutoff",
    "required_committee_size",
]

# Ordering and amount checks that no statute numbers but the platform enforces.
PLATFORM_CITATION = "bidhall 平台规则"
DEFAULT_SANDBOX_FACTOR = 1440  # one day of the legal clock = one minute in the sandbox
_CENT = Decimal("0.01")
_NO_DATES: frozenset[date] = frozenset()


@dataclass(slots=True)
class LotPlan:
    """What a tenderer intends to publish. The opening is at the bid deadline by law
    (法 34; 87号令 39), so it has no separate field."""

    category: Category
    method: Method
    sandbox: bool
    budget: Decimal
    control_price: Decimal | None
    bid_security: Decimal
    docs_issued_at: datetime
    # None: the documents stay available until the bid deadline.
    docs_available_until: datetime | None
    # The last moment the tenderer plans to issue clarifications or amendments.
    clarification_deadline: datetime | None
    bid_deadline: datetime
    evaluation_at: datetime | None


@dataclass(frozen=True, slots=True)
class Violation:
    rule_id: str
    citation: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.citation}: {self.message_zh}"


def _violation(rule: Rule, zh: str, en: str, *, sandbox: bool = False) -> Violation:
    """A violation of `rule`, saying when the number is a sandbox or a center's one."""
    if sandbox:
        zh, en = f"沙箱要求：{zh}", f"sandbox requirement: {en}"
    if rule.overridden_from is not None:
        zh += f"（本中心配置值，法定值为{rule.overridden_from}）"
        en += f" (center's configured value; statutory {rule.overridden_from})"
    return Violation(rule.id, rule.citation, zh, en)


def _platform(rule_id: str, zh: str, en: str) -> Violation:
    return Violation(rule_id, PLATFORM_CITATION, zh, en)


# --- period checks: rule id → which plan dates it measures ----------------------------


@dataclass(frozen=True, slots=True)
class _PeriodCheck:
    rule_id: str
    start: Callable[[LotPlan], datetime | None]
    end: Callable[[LotPlan], datetime | None]
    what_zh: str
    what_en: str


_PERIOD_CHECKS: tuple[_PeriodCheck, ...] = (
    _PeriodCheck(
        "bid_period_days",
        lambda p: p.docs_issued_at,
        lambda p: p.bid_deadline,
        "自招标文件发出至投标截止",
        "from issuing the tender documents to the bid deadline",
    ),
    _PeriodCheck(
        "response_period_days",
        lambda p: p.docs_issued_at,
        lambda p: p.bid_deadline,
        "自采购文件发出至提交响应文件截止",
        "from issuing the documents to the response deadline",
    ),
    _PeriodCheck(
        "docs_available_days",
        lambda p: p.docs_issued_at,
        lambda p: p.docs_available_until or p.bid_deadline,
        "招标文件提供期",
        "the documents' availability",
    ),
    _PeriodCheck(
        "clarification_days",
        lambda p: p.clarification_deadline,
        lambda p: p.bid_deadline,
        "澄清或修改截止至投标截止",
        "from the last clarification to the bid deadline",
    ),
)


def _clock(
    plan: LotPlan,
    tz: ZoneInfo,
    sandbox_factor: int,
    holidays: Collection[date],
    workdays: Collection[date],
) -> PeriodClock:
    return PeriodClock(tz, sandbox_factor if plan.sandbox else None, holidays, workdays)


def _require_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError(f"naive datetime {moment.isoformat()}: times must be aware")


def _check_order(plan: LotPlan, now: datetime) -> list[Violation]:
    found: list[Violation] = []
    if plan.bid_deadline <= now:
        found.append(
            _platform(
                "deadline_in_future",
                "投标截止时间必须晚于当前时间",
                "the bid deadline must be in the future",
            )
        )
    if plan.docs_issued_at > plan.bid_deadline:
        found.append(
            _platform(
                "date_order",
                "招标文件发出时间不得晚于投标截止时间",
                "the documents must be issued before the bid deadline",
            )
        )
    if plan.docs_available_until is not None and plan.docs_available_until < plan.docs_issued_at:
        found.append(
            _platform(
                "date_order",
                "招标文件提供截止时间不得早于发出时间",
                "the documents' availability cannot end before they are issued",
            )
        )
    clar = plan.clarification_deadline
    if clar is not None and not plan.docs_issued_at <= clar <= plan.bid_deadline:
        found.append(
            _platform(
                "date_order",
                "澄清截止时间应在招标文件发出之后、投标截止之前",
                "the clarification deadline must lie between issuing and the bid deadline",
            )
        )
    if plan.evaluation_at is not None and plan.evaluation_at < plan.bid_deadline:
        found.append(
            _platform(
                "date_order",
                "评标时间不得早于开标时间（即投标截止时间）",
                "evaluation cannot start before the opening, which is at the bid deadline",
            )
        )
    return found


def _check_periods(plan: LotPlan, ruleset: Ruleset, clock: PeriodClock) -> list[Violation]:
    found: list[Violation] = []
    for check in _PERIOD_CHECKS:
        rule = ruleset.get(check.rule_id)
        start, end = check.start(plan), check.end(plan)
        # Reversed dates are reported once, by the ordering check.
        if rule is None or start is None or end is None or end < start:
            continue
        if clock.satisfied(start, end, rule):
            continue
        req_zh, act_zh, req_en, act_en = clock.describe(start, end, rule)
        found.append(
            _violation(
                rule,
                f"{check.what_zh}不得少于{req_zh}，当前为{act_zh}",
                f"at least {req_en} {check.what_en} required; the plan has {act_en}",
                sandbox=clock.sandbox,
            )
        )
    return found


def _precise_to_cents(amount: Decimal) -> bool:
    return amount.is_finite() and amount.normalize().as_tuple().exponent >= -2  # type: ignore[operator]


def _check_amounts(plan: LotPlan) -> list[Violation]:
    found: list[Violation] = []
    named = (
        ("预算金额", "budget", plan.budget),
        ("最高投标限价", "control price", plan.control_price),
        ("投标保证金", "bid security", plan.bid_security),
    )
    for zh, en, amount in named:
        if amount is not None and not _precise_to_cents(amount):
            found.append(
                _platform(
                    "amount_precision",
                    f"{zh}应以元为单位且最多两位小数，当前为{amount}",
                    f"the {en} must be in yuan with at most 2 decimal places, got {amount}",
                )
            )
    if plan.budget.is_finite() and plan.budget <= 0:
        found.append(
            _platform("budget_positive", "预算金额必须大于0", "the budget must be positive")
        )
    control = plan.control_price
    if control is not None and control.is_finite():
        if control <= 0:
            found.append(
                _platform(
                    "control_price_positive",
                    "最高投标限价必须大于0",
                    "the control price must be positive",
                )
            )
        elif plan.budget.is_finite() and control > plan.budget:
            found.append(
                _platform(
                    "control_price_within_budget",
                    f"最高投标限价（{control}元）不得超过预算金额（{plan.budget}元）",
                    f"the control price ({control} yuan) exceeds the budget ({plan.budget} yuan)",
                )
            )
    return found


def check_publish(
    plan: LotPlan,
    ruleset: Ruleset,
    *,
    now: datetime,
    tz: ZoneInfo,
    sandbox_factor: int = DEFAULT_SANDBOX_FACTOR,
    holidays: Collection[date] = _NO_DATES,
    workdays: Collection[date] = _NO_DATES,
) -> list[Violation]:
    """Every rule a plan breaks; an empty list means it may be published.

    The documents may have been issued before `now` (a lot published late); only the
    deadline must be in the future. Sandbox plans meet each period divided by
    `sandbox_factor`, measured as an exact duration.
    """
    _require_aware(
        now,
        plan.docs_issued_at,
        plan.docs_available_until,
        plan.clarification_deadline,
        plan.bid_deadline,
        plan.evaluation_at,
    )
    if (plan.category, plan.method) != (ruleset.category, ruleset.method):
        raise RuleConfigError(
            f"规则集 {ruleset.key} 不适用于 {plan.category}/{plan.method} / "
            f"ruleset {ruleset.key!r} does not apply to {plan.category}/{plan.method}"
        )
    clock = _clock(plan, tz, sandbox_factor, holidays, workdays)
    found = _check_order(plan, now)
    found += _check_periods(plan, ruleset, clock)
    found += _check_amounts(plan)
    security = check_bid_security(plan.bid_security, plan, ruleset)
    if security is not None:
        found.append(security)
    return found


def check_bid_security(amount: Decimal, plan: LotPlan, ruleset: Ruleset) -> Violation | None:
    """Bid security at most the ruleset's percentage of the estimated price / budget."""
    if amount.is_finite() and amount < 0:
        return _platform(
            "bid_security_amount",
            f"投标保证金不得为负数，当前为{amount}",
            f"the bid security cannot be negative, got {amount}",
        )
    rule = ruleset.get("bid_security_max_percent")
    if rule is None or not amount.is_finite():
        return None
    if ruleset.security_basis is PriceBasis.CONTROL_PRICE and plan.control_price is not None:
        base, base_zh, base_en = plan.control_price, "估算价（最高投标限价）", "estimated price"
    elif ruleset.security_basis is PriceBasis.CONTROL_PRICE:
        base, base_zh, base_en = plan.budget, "估算价（预算金额）", "estimated price (budget)"
    else:
        base, base_zh, base_en = plan.budget, "采购预算金额", "budget"
    limit = base * Decimal(rule.value) / 100
    if amount <= limit:
        return None
    shown = limit.quantize(_CENT, rounding=ROUND_DOWN)  # the largest amount in whole cents
    return _violation(
        rule,
        f"投标保证金不得超过{base_zh}的{rule.value}%（{shown}元），当前为{amount}元",
        f"bid security may not exceed {rule.value}% of the {base_en} ({shown} yuan); "
        f"the plan asks {amount} yuan",
    )


def check_bid_count(n_bids: int, ruleset: Ruleset) -> Violation | None:
    """At the deadline: fewer bids than the minimum means no opening (法 28; 87号令 43)."""
    rule = ruleset.get("min_bidders")
    if rule is None or n_bids >= int(rule.value):
        return None
    return _violation(
        rule,
        f"投标截止时投标人（供应商）少于{rule.value}个（当前{n_bids}个），不得开标",
        f"fewer than {rule.value} bids at the deadline ({n_bids}): the bids are not opened",
    )


def required_committee_size(ruleset: Ruleset, budget: Decimal) -> int:
    """The smallest lawful committee: odd, and larger above the budget threshold."""
    size = int(ruleset.value("committee_min_size"))
    large = ruleset.get("committee_large_size")
    threshold = ruleset.get("committee_large_budget")
    if large is not None and threshold is not None and budget >= Decimal(threshold.value):
        size = max(size, int(large.value))
    # Committees are always odd (法 37; 87号令 47), even if a center configured an even number.
    return size if size % 2 else size + 1


def check_committee_size(size: int, ruleset: Ruleset, budget: Decimal) -> Violation | None:
    required = required_committee_size(ruleset, budget)
    if size >= required and size % 2 == 1:
        return None
    large = ruleset.get("committee_large_size")
    rule = large if large is not None and required >= int(large.value) else None
    rule = rule or ruleset.rule("committee_min_size")
    return _violation(
        rule,
        f"评标委员会（评审小组）应为不少于{required}人的单数，当前为{size}人",
        f"the committee needs an odd number of at least {required} members, has {size}",
    )


def amendment_moves_deadline(
    plan: LotPlan,
    amendment_at: datetime,
    ruleset: Ruleset,
    *,
    tz: ZoneInfo,
    sandbox_factor: int = DEFAULT_SANDBOX_FACTOR,
    holidays: Collection[date] = _NO_DATES,
    workdays: Collection[date] = _NO_DATES,
) -> datetime | None:
    """The new earliest deadline when an amendment affecting bids comes too late.

    None when it leaves the ruleset's clarification period (条例 21: else the deadline
    moves). On the legal clock the deadline keeps its local time of day on the first
    date that satisfies the period; in the sandbox it is the exact accelerated duration.
    """
    _require_aware(amendment_at, plan.bid_deadline)
    rule = ruleset.get("clarification_days")
    if rule is None:
        return None
    clock = _clock(plan, tz, sandbox_factor, holidays, workdays)
    if clock.satisfied(amendment_at, plan.bid_deadline, rule):
        return None
    at = plan.bid_deadline.astimezone(tz).timetz().replace(tzinfo=None)
    return clock.earliest_end(amendment_at, rule, at)


def objection_cutoff(
    plan: LotPlan,
    ruleset: Ruleset,
    *,
    tz: ZoneInfo,
    sandbox_factor: int = DEFAULT_SANDBOX_FACTOR,
    holidays: Collection[date] = _NO_DATES,
    workdays: Collection[date] = _NO_DATES,
) -> datetime | None:
    """Objections to the documents raised before this moment are in time (条例 22).

    None for rulesets without a deadline-relative objection period (procurement
    challenges run from when the supplier learns of the harm, 采购法 52).
    """
    _require_aware(plan.bid_deadline)
    rule = ruleset.get("objection_days")
    if rule is None:
        return None
    return _clock(plan, tz, sandbox_factor, holidays, workdays).cutoff_before(
        plan.bid_deadline, rule
    )
