"""Rulesets as data: contents, lookups, overrides."""

from decimal import Decimal

import pytest

from trading.enums import Category, Method, PriceBasis
from trading.rules import RULESETS, RuleConfigError, get_ruleset
from trading.rules.base import Rule

C, M = Category, Method


def test_required_rulesets_exist_under_their_keys() -> None:
    expected = {
        "construction/open_tender",
        "construction/invited_tender",
        "procurement/open_tender",
        "procurement/invited_tender",
        "procurement/competitive_negotiation",
        "procurement/inquiry",
        "procurement/competitive_consultation",
        "procurement/single_source",
    }
    assert expected <= set(RULESETS)
    for key, ruleset in RULESETS.items():
        assert key == f"{ruleset.category}/{ruleset.method}"


@pytest.mark.parametrize(
    ("category", "method", "rule_id", "value", "unit", "citation"),
    [
        (C.CONSTRUCTION, M.OPEN_TENDER, "bid_period_days", 20, "days", "招标投标法 第24条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "docs_available_days", 5, "days", "第16条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "clarification_days", 15, "days", "第21条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "objection_days", 10, "days", "第22条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "min_bidders", 3, "count", "第28条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "bid_security_max_percent", 2, "percent", "第26条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "committee_min_size", 5, "count", "第37条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "publicity_days", 3, "days", "第54条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "max_candidates", 3, "count", "第53条"),
        (C.CONSTRUCTION, M.OPEN_TENDER, "contract_days", 30, "days", "第46条"),
        (C.CONSTRUCTION, M.INVITED_TENDER, "bid_period_days", 20, "days", "第24条"),
        (C.PROCUREMENT, M.OPEN_TENDER, "bid_period_days", 20, "days", "政府采购法 第35条"),
        (C.PROCUREMENT, M.OPEN_TENDER, "docs_available_days", 5, "working_days", "第31条"),
        (C.PROCUREMENT, M.OPEN_TENDER, "clarification_days", 15, "days", "第31条"),
        (C.PROCUREMENT, M.OPEN_TENDER, "min_bidders", 3, "count", "87号 第43条"),
        (C.PROCUREMENT, M.OPEN_TENDER, "committee_large_size", 7, "count", "第47条"),
        (C.PROCUREMENT, M.OPEN_TENDER, "committee_large_budget", 10_000_000, "yuan", "第47条"),
        (C.PROCUREMENT, M.INVITED_TENDER, "min_invitees", 3, "count", "第34条"),
        (C.PROCUREMENT, M.COMPETITIVE_NEGOTIATION, "response_period_days", 3, "working_days",
         "74号 第29条"),
        (C.PROCUREMENT, M.INQUIRY, "response_period_days", 3, "working_days", "74号 第45条"),
        (C.PROCUREMENT, M.COMPETITIVE_CONSULTATION, "response_period_days", 10, "days",
         "第10条"),
        (C.LAND, M.LISTING, "listing_working_days", 10, "working_days", "第19条"),
        (C.LAND, M.LISTING, "announcement_days", 20, "days", "第11条"),
    ],
)  # fmt: skip
def test_rule_values_units_and_citations(
    category: Category, method: Method, rule_id: str, value: int, unit: str, citation: str
) -> None:
    rule = get_ruleset(category, method).rule(rule_id)
    assert (rule.value, rule.unit) == (value, unit)
    assert citation in rule.citation
    assert rule.overridden_from is None


def test_money_and_percent_values_are_decimal_and_counts_int() -> None:
    rs = get_ruleset(C.PROCUREMENT, M.OPEN_TENDER)
    assert isinstance(rs.value("committee_large_budget"), Decimal)
    assert isinstance(rs.value("bid_security_max_percent"), Decimal)
    assert type(rs.value("bid_period_days")) is int


def test_every_rule_cites_an_article_and_explains_itself_in_both_languages() -> None:
    for ruleset in RULESETS.values():
        assert ruleset.name_zh and ruleset.name_en
        for rule in ruleset.rules.values():
            assert "第" in rule.citation and "条" in rule.citation, rule
            assert rule.text_zh and rule.text_en.isascii(), rule


def test_single_source_has_no_response_period_or_committee() -> None:
    rs = get_ruleset(C.PROCUREMENT, M.SINGLE_SOURCE)
    assert "response_period_days" not in rs
    assert "bid_period_days" not in rs
    assert rs.get("committee_min_size") is None


def test_security_basis_is_the_estimate_for_construction_and_budget_for_procurement() -> None:
    assert get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER).security_basis is PriceBasis.CONTROL_PRICE
    assert get_ruleset(C.PROCUREMENT, M.OPEN_TENDER).security_basis is PriceBasis.BUDGET


def test_lookup_accepts_plain_strings() -> None:
    assert get_ruleset("construction", "open_tender") is RULESETS["construction/open_tender"]


def test_unsupported_combination_is_refused_precisely() -> None:
    with pytest.raises(RuleConfigError) as info:
        get_ruleset(C.LAND, M.OPEN_TENDER)
    message = str(info.value)
    assert "land/open_tender" in message
    assert "auction, listing" in message  # what the category does support


def test_unknown_category_or_method_is_a_config_error() -> None:
    with pytest.raises(RuleConfigError, match="unknown category or method"):
        get_ruleset("bridges", "open_tender")
    with pytest.raises(RuleConfigError, match="unknown category or method"):
        get_ruleset(C.CONSTRUCTION, "lottery")


def test_unknown_rule_id_names_the_ruleset_and_the_id() -> None:
    rs = get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER)
    with pytest.raises(RuleConfigError, match=r"construction/open_tender.*no_such_rule"):
        rs.value("no_such_rule")


def test_rules_mapping_is_read_only() -> None:
    rs = get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER)
    with pytest.raises(TypeError):
        rs.rules["bid_period_days"] = rs.rules["min_bidders"]  # type: ignore[index]


# --- overrides ------------------------------------------------------------------------


def test_override_returns_a_new_ruleset_and_remembers_the_statutory_value() -> None:
    base = get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER)
    changed = base.with_overrides({"bid_period_days": 25, "bid_security_max_percent": 1})
    assert changed is not base
    assert changed.value("bid_period_days") == 25
    assert changed.rule("bid_period_days").overridden_from == 20
    assert changed.value("bid_security_max_percent") == Decimal(1)
    assert changed.overrides() == {
        "bid_period_days": (20, 25),
        "bid_security_max_percent": (Decimal(2), Decimal(1)),
    }
    # The shared statutory ruleset is untouched.
    assert base.value("bid_period_days") == 20
    assert base.overrides() == {}
    assert RULESETS["construction/open_tender"].value("bid_period_days") == 20


def test_get_ruleset_applies_overrides() -> None:
    rs = get_ruleset(C.PROCUREMENT, M.OPEN_TENDER, {"committee_large_budget": Decimal("5e6")})
    assert rs.value("committee_large_budget") == Decimal(5_000_000)
    assert rs.rule("committee_large_budget").overridden_from == Decimal(10_000_000)


def test_override_twice_keeps_the_statutory_value_and_resetting_clears_it() -> None:
    base = get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER)
    twice = base.with_overrides({"bid_period_days": 25}).with_overrides({"bid_period_days": 30})
    assert twice.rule("bid_period_days").overridden_from == 20
    reset = twice.with_overrides({"bid_period_days": 20})
    assert reset.rule("bid_period_days").overridden_from is None
    assert reset.overrides() == {}


def test_override_with_the_same_value_records_nothing() -> None:
    rs = get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER).with_overrides({"min_bidders": 3})
    assert rs.overrides() == {}


def test_unknown_override_id_is_named() -> None:
    with pytest.raises(RuleConfigError, match="bid_perod_days") as info:
        get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER, {"bid_perod_days": 25, "min_bidders": 4})
    assert "min_bidders" not in str(info.value)


def test_override_absent_from_this_ruleset_is_refused() -> None:
    with pytest.raises(RuleConfigError, match="committee_large_size"):
        get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER, {"committee_large_size": 9})


@pytest.mark.parametrize(
    ("rule_id", "value", "fragment"),
    [
        ("bid_period_days", 20.0, "float"),
        ("bid_security_max_percent", 1.5, "float"),
        ("bid_period_days", True, "bool"),
        ("bid_period_days", -1, "negative"),
        ("bid_period_days", Decimal("20.5"), "whole"),
        ("bid_security_max_percent", Decimal("NaN"), "not finite"),
    ],
)
def test_override_values_are_validated(rule_id: str, value: object, fragment: str) -> None:
    with pytest.raises(RuleConfigError, match=fragment):
        get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER, {rule_id: value})  # type: ignore[dict-item]


def test_integral_decimal_override_of_a_day_count_becomes_int() -> None:
    rs = get_ruleset(C.CONSTRUCTION, M.OPEN_TENDER, {"bid_period_days": Decimal("25")})
    assert type(rs.value("bid_period_days")) is int


def test_rule_refuses_unknown_unit() -> None:
    with pytest.raises(RuleConfigError, match="unit"):
        Rule("x", 1, "weeks", "某法 第1条", "文", "text")  # type: ignore[arg-type]
