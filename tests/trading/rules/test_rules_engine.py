"""The publish checks, bid count, committee size, bid security, deadline moves."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from trading.enums import Category, Method
from trading.rules import (
    LotPlan,
    RuleConfigError,
    Violation,
    amendment_moves_deadline,
    check_bid_count,
    check_bid_security,
    check_committee_size,
    check_publish,
    get_ruleset,
    objection_cutoff,
    required_committee_size,
)
from trading.rules.engine import PLATFORM_CITATION

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 1, tzinfo=UTC)
# Monday 2 March 2026, 10:00 in Shanghai.
ISSUED = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def at(day: int, hour: int = 9, minute: int = 30, month: int = 3) -> datetime:
    """A Shanghai wall-clock time in 2026, as the UTC value the platform stores."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def plan(**changes: Any) -> LotPlan:
    base = LotPlan(
        category=Category.CONSTRUCTION,
        method=Method.OPEN_TENDER,
        sandbox=False,
        budget=Decimal("1000000.00"),
        control_price=Decimal("900000.00"),
        bid_security=Decimal("18000.00"),
        docs_issued_at=ISSUED.astimezone(UTC),
        docs_available_until=None,
        clarification_deadline=None,
        bid_deadline=at(22),
        evaluation_at=at(22, 14),
    )
    return replace(base, **changes)


def procurement(method: Method = Method.OPEN_TENDER, **changes: Any) -> LotPlan:
    changes.setdefault("evaluation_at", None)
    return plan(category=Category.PROCUREMENT, method=method, **changes)


def check(p: LotPlan, **overrides: Any) -> list[Violation]:
    ruleset = get_ruleset(p.category, p.method, overrides or None)
    return check_publish(p, ruleset, now=NOW, tz=SH)


def ids(violations: list[Violation]) -> list[str]:
    return [v.rule_id for v in violations]


def test_a_lawful_plan_has_no_violations() -> None:
    assert check(plan()) == []
    assert check(procurement(bid_security=Decimal("20000.00"))) == []


# --- bid period (法 24 / 采购法 35) ------------------------------------------------------


def test_exactly_20_days_passes_and_19_fails() -> None:
    assert check(plan(bid_deadline=at(22))) == []  # 2 March → 22 March: 20 days
    [violation] = check(plan(bid_deadline=at(21), evaluation_at=None))
    assert violation.rule_id == "bid_period_days"
    assert violation.citation == "招标投标法 第24条"
    assert violation.message_zh == "自招标文件发出至投标截止不得少于20日，当前为19日"
    assert "20 days" in violation.message_en and "19 days" in violation.message_en
    assert str(violation) == "招标投标法 第24条: 自招标文件发出至投标截止不得少于20日，当前为19日"


def test_days_are_counted_on_the_center_calendar_not_as_hours() -> None:
    # Issued late on 2 March, deadline just after midnight on 22 March: far fewer than
    # 20×24 hours, but 20 whole days in the legal count.
    p = plan(docs_issued_at=at(2, 23, 50), bid_deadline=at(22, 0, 10), evaluation_at=None)
    assert check(p) == []
    # The same instants read in UTC would fall on other dates; the zone decides.
    assert p.bid_deadline.date().day == 21


def test_procurement_bid_period_cites_the_procurement_law() -> None:
    [violation] = check(procurement(bid_deadline=at(20), evaluation_at=None))
    assert violation.citation == "政府采购法 第35条"
    assert "当前为18日" in violation.message_zh


# --- documents available (条例 16 / 采购法条例 31) ---------------------------------------


def test_construction_docs_available_counts_calendar_days() -> None:
    assert check(plan(docs_available_until=at(7, 17))) == []  # Mon 2 → Sat 7: 5 days
    [violation] = check(plan(docs_available_until=at(6, 17)))
    assert violation.rule_id == "docs_available_days"
    assert violation.citation == "招标投标法实施条例 第16条"
    assert "不得少于5日，当前为4日" in violation.message_zh


def test_procurement_docs_available_counts_working_days_over_a_weekend() -> None:
    # Issued Thursday 5 March: Fri 6, Mon 9, Tue 10, Wed 11, Thu 12 = 5 working days.
    issued = at(5, 10)
    ok = procurement(docs_issued_at=issued, docs_available_until=at(12, 17), bid_deadline=at(25))
    assert check(ok) == []
    short = replace(ok, docs_available_until=at(11, 17))
    [violation] = check(short)
    assert violation.rule_id == "docs_available_days"
    assert "不得少于5个工作日，当前为4个工作日" in violation.message_zh


def test_holidays_passed_in_shorten_the_working_day_count() -> None:
    ok = procurement(docs_issued_at=at(5, 10), docs_available_until=at(12, 17), bid_deadline=at(25))
    ruleset = get_ruleset(Category.PROCUREMENT, Method.OPEN_TENDER)
    holiday = datetime(2026, 3, 9).date()
    found = check_publish(ok, ruleset, now=NOW, tz=SH, holidays={holiday})
    assert ids(found) == ["docs_available_days"]
    adjusted = datetime(2026, 3, 7).date()  # a Saturday declared a working day (调休)
    assert check_publish(ok, ruleset, now=NOW, tz=SH, holidays={holiday}, workdays={adjusted}) == []


# --- clarification (法 23, 条例 21) --------------------------------------------------------


def test_clarification_deadline_must_leave_15_days() -> None:
    assert check(plan(clarification_deadline=at(7, 17))) == []  # 7 → 22 March: 15 days
    [violation] = check(plan(clarification_deadline=at(8, 17)))
    assert violation.rule_id == "clarification_days"
    assert "第21条" in violation.citation
    assert "当前为14日" in violation.message_zh


# --- ordering ------------------------------------------------------------------------


def test_deadline_must_be_in_the_future_but_issuing_may_be_in_the_past() -> None:
    late_publish_now = at(10).astimezone(UTC)
    p = plan()
    ruleset = get_ruleset(p.category, p.method)
    assert check_publish(p, ruleset, now=late_publish_now, tz=SH) == []
    [violation] = check_publish(p, ruleset, now=at(22, 10), tz=SH)
    assert violation.rule_id == "deadline_in_future"
    assert violation.citation == PLATFORM_CITATION


def test_reversed_dates_are_reported_once_as_an_ordering_error() -> None:
    found = check(plan(docs_issued_at=at(23), evaluation_at=None))
    assert ids(found) == ["date_order"]


@pytest.mark.parametrize(
    "changes",
    [
        {"evaluation_at": at(22, 9, 0)},
        {"docs_available_until": at(1, 10)},
        {"clarification_deadline": at(23)},
    ],
)
def test_other_ordering_errors(changes: dict[str, datetime]) -> None:
    assert "date_order" in ids(check(plan(**changes)))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        check(plan(bid_deadline=datetime(2026, 3, 22, 9, 30)))


def test_ruleset_of_another_method_is_refused() -> None:
    ruleset = get_ruleset(Category.PROCUREMENT, Method.OPEN_TENDER)
    with pytest.raises(RuleConfigError, match="does not apply"):
        check_publish(plan(), ruleset, now=NOW, tz=SH)


# --- amounts -------------------------------------------------------------------------


def test_bid_security_two_percent_of_the_control_price_boundary() -> None:
    assert check(plan(bid_security=Decimal("18000.00"))) == []
    [violation] = check(plan(bid_security=Decimal("18000.01")))
    assert violation.rule_id == "bid_security_max_percent"
    assert violation.citation == "招标投标法实施条例 第26条"
    assert "18000.00元" in violation.message_zh and "18000.01元" in violation.message_zh


def test_construction_without_control_price_uses_the_budget_as_estimate() -> None:
    assert check(plan(control_price=None, bid_security=Decimal("20000.00"))) == []
    assert ids(check(plan(control_price=None, bid_security=Decimal("20000.01")))) == [
        "bid_security_max_percent"
    ]


def test_procurement_security_is_measured_on_the_budget_even_with_a_control_price() -> None:
    p = procurement(bid_security=Decimal("20000.00"))
    assert p.control_price == Decimal("900000.00")
    assert check_bid_security(Decimal("20000.00"), p, get_ruleset(p.category, p.method)) is None
    violation = check_bid_security(Decimal("20000.01"), p, get_ruleset(p.category, p.method))
    assert violation is not None and "采购预算金额" in violation.message_zh


def test_bid_security_limit_shown_in_whole_cents() -> None:
    p = plan(control_price=Decimal("123456.78"), budget=Decimal("200000"))
    violation = check_bid_security(Decimal("2469.14"), p, get_ruleset(p.category, p.method))
    assert violation is not None  # the limit is 2469.1356
    assert "2469.13元" in violation.message_zh
    assert check_bid_security(Decimal("2469.13"), p, get_ruleset(p.category, p.method)) is None


def test_negative_bid_security_is_refused() -> None:
    assert ids(check(plan(bid_security=Decimal("-1")))) == ["bid_security_amount"]


def test_single_source_has_no_security_cap() -> None:
    p = procurement(Method.SINGLE_SOURCE, bid_security=Decimal("500000"))
    assert check_bid_security(p.bid_security, p, get_ruleset(p.category, p.method)) is None


@pytest.mark.parametrize(
    ("changes", "rule_id"),
    [
        ({"budget": Decimal("0"), "control_price": None, "bid_security": Decimal(0)},
         "budget_positive"),
        ({"control_price": Decimal("1000000.01")}, "control_price_within_budget"),
        ({"control_price": Decimal("-5")}, "control_price_positive"),
        ({"budget": Decimal("1000000.001")}, "amount_precision"),
        ({"bid_security": Decimal("100.005")}, "amount_precision"),
    ],
)  # fmt: skip
def test_amount_checks(changes: dict[str, Decimal], rule_id: str) -> None:
    assert rule_id in ids(check(plan(**changes)))


def test_trailing_zeros_are_not_extra_precision() -> None:
    assert check(plan(budget=Decimal("1000000.000"), control_price=Decimal("9E+5"))) == []


def test_control_price_equal_to_budget_is_allowed() -> None:
    assert check(plan(control_price=Decimal("1000000.00"))) == []


# --- sandbox -------------------------------------------------------------------------


def test_sandbox_divides_periods_and_measures_exact_durations() -> None:
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    ok = plan(
        sandbox=True,
        docs_issued_at=start,
        bid_deadline=start + timedelta(minutes=20),
        evaluation_at=None,
        docs_available_until=start + timedelta(minutes=5),
    )
    assert check(ok) == []
    [violation] = check(replace(ok, bid_deadline=start + timedelta(minutes=19, seconds=59)))
    assert violation.rule_id == "bid_period_days"
    assert violation.message_zh.startswith("沙箱要求：")
    assert "不得少于20分钟，当前为19分钟59秒" in violation.message_zh
    assert violation.message_en.startswith("sandbox requirement: ")


def test_sandbox_factor_is_a_parameter_and_ignored_for_real_plans() -> None:
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    p = plan(sandbox=True, docs_issued_at=start, bid_deadline=start + timedelta(hours=1))
    ruleset = get_ruleset(p.category, p.method)
    p = replace(p, evaluation_at=None)
    assert check_publish(p, ruleset, now=NOW, tz=SH, sandbox_factor=24) != []  # needs 20 h
    assert check_publish(p, ruleset, now=NOW, tz=SH, sandbox_factor=480) == []  # needs 1 h
    real = replace(p, sandbox=False)
    assert "bid_period_days" in ids(check_publish(real, ruleset, now=NOW, tz=SH))


def test_sandbox_counts_working_days_as_whole_days() -> None:
    start = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # Friday night in Shanghai
    p = procurement(
        Method.COMPETITIVE_NEGOTIATION,
        sandbox=True,
        docs_issued_at=start,
        bid_deadline=start + timedelta(minutes=3),
        evaluation_at=None,
        bid_security=Decimal(0),
    )
    assert check(p) == []
    assert ids(check(replace(p, bid_deadline=start + timedelta(minutes=2)))) == [
        "response_period_days"
    ]


def test_invalid_sandbox_factor() -> None:
    p = plan(sandbox=True)
    with pytest.raises(ValueError, match="sandbox_factor"):
        check_publish(p, get_ruleset(p.category, p.method), now=NOW, tz=SH, sandbox_factor=0)


# --- overrides -----------------------------------------------------------------------


def test_override_changes_the_verdict_and_the_message_says_so() -> None:
    short = plan(bid_deadline=at(18), evaluation_at=None)  # 16 days
    assert ids(check(short)) == ["bid_period_days"]
    assert check(short, bid_period_days=15) == []
    [violation] = check(plan(), bid_period_days=25)
    assert "不得少于25日，当前为20日" in violation.message_zh
    assert "法定值为20" in violation.message_zh
    assert "statutory 20" in violation.message_en


def test_override_of_security_percent() -> None:
    assert ids(check(plan(), bid_security_max_percent=Decimal("1.5"))) == [
        "bid_security_max_percent"
    ]


# --- non-tender methods ----------------------------------------------------------------


def test_negotiation_response_period_is_three_working_days_over_a_weekend() -> None:
    # Issued Thursday 5 March; Fri 6, Mon 9, Tue 10 are three working days.
    p = procurement(
        Method.COMPETITIVE_NEGOTIATION,
        docs_issued_at=at(5, 10),
        bid_deadline=at(10, 9),
        evaluation_at=None,
    )
    assert check(p) == []
    [violation] = check(replace(p, bid_deadline=at(9, 9)))
    assert violation.citation == "财政部令第74号 第29条"
    assert "当前为2个工作日" in violation.message_zh


def test_consultation_response_period_is_ten_days() -> None:
    p = procurement(
        Method.COMPETITIVE_CONSULTATION,
        docs_issued_at=at(2, 10),
        bid_deadline=at(12),
        evaluation_at=None,
        docs_available_until=at(9, 17),
    )
    assert check(p) == []
    assert ids(check(replace(p, bid_deadline=at(11)))) == ["response_period_days"]


def test_single_source_has_no_period_to_check() -> None:
    p = procurement(Method.SINGLE_SOURCE, bid_deadline=at(3), evaluation_at=None)
    assert check(p) == []


# --- bid count, committee ----------------------------------------------------------------


def test_bid_count_below_three_blocks_the_opening() -> None:
    construction = get_ruleset(Category.CONSTRUCTION, Method.OPEN_TENDER)
    assert check_bid_count(3, construction) is None
    violation = check_bid_count(2, construction)
    assert violation is not None
    assert violation.rule_id == "min_bidders"
    assert "招标投标法 第28条" in violation.citation
    assert "当前2个" in violation.message_zh
    procurement_rs = get_ruleset(Category.PROCUREMENT, Method.OPEN_TENDER)
    violation = check_bid_count(0, procurement_rs)
    assert violation is not None and "财政部令第87号 第43条" in violation.citation


def test_single_source_needs_one_supplier_and_overrides_apply() -> None:
    assert check_bid_count(1, get_ruleset(Category.PROCUREMENT, Method.SINGLE_SOURCE)) is None
    raised = get_ruleset(Category.CONSTRUCTION, Method.OPEN_TENDER, {"min_bidders": 5})
    assert check_bid_count(4, raised) is not None


def test_committee_size_by_budget() -> None:
    construction = get_ruleset(Category.CONSTRUCTION, Method.OPEN_TENDER)
    assert required_committee_size(construction, Decimal("50000000")) == 5
    procurement_rs = get_ruleset(Category.PROCUREMENT, Method.OPEN_TENDER)
    assert required_committee_size(procurement_rs, Decimal("9999999.99")) == 5
    assert required_committee_size(procurement_rs, Decimal("10000000")) == 7
    negotiation = get_ruleset(Category.PROCUREMENT, Method.COMPETITIVE_NEGOTIATION)
    assert required_committee_size(negotiation, Decimal("1")) == 3


def test_committee_size_stays_odd_under_an_even_override() -> None:
    rs = get_ruleset(Category.CONSTRUCTION, Method.OPEN_TENDER, {"committee_min_size": 6})
    assert required_committee_size(rs, Decimal(1)) == 7


def test_committee_check() -> None:
    rs = get_ruleset(Category.PROCUREMENT, Method.OPEN_TENDER)
    assert check_committee_size(5, rs, Decimal(100)) is None
    even = check_committee_size(6, rs, Decimal(100))
    assert even is not None and even.rule_id == "committee_min_size"
    small = check_committee_size(5, rs, Decimal(20_000_000))
    assert small is not None and small.rule_id == "committee_large_size"
    assert "不少于7人" in small.message_zh
    assert check_committee_size(9, rs, Decimal(20_000_000)) is None


def test_committee_size_without_a_committee_rule_is_a_config_error() -> None:
    with pytest.raises(RuleConfigError, match="committee_min_size"):
        required_committee_size(get_ruleset(Category.PROCUREMENT, Method.SINGLE_SOURCE), Decimal(1))


# --- amendments move the deadline (条例 21) ----------------------------------------------


def test_amendment_15_days_ahead_does_not_move_the_deadline() -> None:
    p = plan()
    rs = get_ruleset(p.category, p.method)
    assert amendment_moves_deadline(p, at(7, 23, 59), rs, tz=SH) is None


def test_late_amendment_moves_the_deadline_keeping_its_time_of_day() -> None:
    p = plan()
    rs = get_ruleset(p.category, p.method)
    assert amendment_moves_deadline(p, at(8, 0, 1), rs, tz=SH) == at(23, 9, 30)
    assert amendment_moves_deadline(p, at(20, 16), rs, tz=SH) == at(4, 9, 30, month=4)


def test_amendment_in_working_days_for_negotiation() -> None:
    # Deadline Tuesday 10 March; an amendment on Thursday 5 March leaves Fri, Mon, Tue.
    p = procurement(Method.COMPETITIVE_NEGOTIATION, docs_issued_at=at(2), bid_deadline=at(10))
    rs = get_ruleset(p.category, p.method)
    assert amendment_moves_deadline(p, at(5, 18), rs, tz=SH) is None
    # Friday 6 March leaves two; the third working day after it is Wednesday 11 March.
    assert amendment_moves_deadline(p, at(6, 18), rs, tz=SH) == at(11)


def test_amendment_in_the_sandbox_moves_by_the_exact_accelerated_period() -> None:
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    p = plan(sandbox=True, docs_issued_at=start, bid_deadline=start + timedelta(minutes=20))
    rs = get_ruleset(p.category, p.method)
    assert amendment_moves_deadline(p, start + timedelta(minutes=5), rs, tz=SH) is None
    amended = start + timedelta(minutes=6)
    assert amendment_moves_deadline(p, amended, rs, tz=SH) == amended + timedelta(minutes=15)


def test_amendment_without_a_clarification_rule() -> None:
    p = procurement(Method.SINGLE_SOURCE)
    rs = get_ruleset(p.category, p.method)
    assert amendment_moves_deadline(p, p.bid_deadline, rs, tz=SH) is None


def test_objection_cutoff_is_ten_days_before_the_deadline() -> None:
    p = plan()  # deadline 22 March
    rs = get_ruleset(p.category, p.method)
    # Objections dated 12 March or earlier leave 10 days; 13 March is too late.
    assert objection_cutoff(p, rs, tz=SH) == at(13, 0, 0)
    p_proc = procurement()
    assert objection_cutoff(p_proc, get_ruleset(p_proc.category, p_proc.method), tz=SH) is None
