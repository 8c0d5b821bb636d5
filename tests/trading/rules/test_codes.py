"""USCC (GB 32100-2015) and administrative division codes (GB/T 2260)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trading.kernel.codes import (
    USCC_CHARSET,
    CodeError,
    is_within,
    parse_division_code,
    uscc_check_char,
    validate_uscc,
)

# Published codes of real organizations: the commonly cited example, Tencent (深圳市腾讯
# 计算机系统有限公司) and Huawei (华为技术有限公司). The last two are rejected by the
# 3,7,9,10,… weight sequence sometimes quoted, so they pin the standard's weights.
REAL_CODES = ["91350100M000100Y43", "9144030071526726XG", "914403001922038216"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_published_codes_are_valid(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


def test_validate_normalizes_case_spaces_and_full_width() -> None:
    assert validate_uscc("  91350100m000100y43\n") == "91350100M000100Y43"
    assert validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_wrong_check_digit_names_the_expected_one() -> None:
    with pytest.raises(CodeError) as info:
        validate_uscc("91350100M000100Y44")
    assert str(info.value) == (
        "统一社会信用代码校验位错误：应为 3 / USCC check digit wrong: expected 3"
    )


@pytest.mark.parametrize(
    ("code", "position", "char"),
    [
        ("91350100I000100Y43", 9, "I"),
        ("9135010OM000100Y43", 8, "O"),
        ("913501-0M000100Y43", 7, "-"),
    ],
)
def test_forbidden_character_is_located(code: str, position: int, char: str) -> None:
    with pytest.raises(CodeError, match=f"第{position}位字符“{char}”") as info:
        validate_uscc(code)
    assert f"character {position} {char!r}" in str(info.value)


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_wrong_length_is_reported_with_the_actual_length(code: str) -> None:
    with pytest.raises(CodeError, match=f"实际为{len(code)}位"):
        validate_uscc(code)


def test_check_char_needs_exactly_17_characters() -> None:
    with pytest.raises(CodeError, match="17"):
        uscc_check_char("9135010")


def test_code_error_is_a_value_error() -> None:
    assert issubclass(CodeError, ValueError)


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_generated_check_char_is_the_only_valid_one(body: str) -> None:
    check = uscc_check_char(body)
    assert validate_uscc(body + check) == body + check
    for other in USCC_CHARSET.replace(check, ""):
        with pytest.raises(CodeError, match="校验位"):
            validate_uscc(body + other)


# --- division codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "province", "parent"),
    [
        ("110000", "province", "110000", None),
        ("320100", "city", "320000", "320000"),
        ("320102", "county", "320000", "320100"),
        ("110101", "county", "110000", "110100"),  # municipality district → 市辖区
        ("429004", "county", "420000", "429000"),  # county administered by the province
        ("710000", "province", "710000", None),
        ("820000", "province", "820000", None),
    ],
)
def test_division_levels_and_parents(
    code: str, level: str, province: str, parent: str | None
) -> None:
    division = parse_division_code(code)
    assert (division.code, division.level, division.province_code, division.parent_code) == (
        code,
        level,
        province,
        parent,
    )


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("11010", "6位数字"),
        ("1101011", "6位数字"),
        ("11010a", "6位数字"),
        ("１１０１0１", None),  # full-width digits are folded, so this one is valid
        ("100000", "省级部分“10”"),
        ("160000", "省级部分“16”"),
        ("720000", "省级部分“72”"),
        ("990000", "省级部分“99”"),
        ("110001", "县级部分"),
    ],
)
def test_division_code_validation(code: str, fragment: str | None) -> None:
    if fragment is None:
        assert parse_division_code(code).code == "110101"
        return
    with pytest.raises(CodeError, match=fragment) as info:
        parse_division_code(code)
    assert " / division code" in str(info.value)


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        ("320102", "320000", True),
        ("320102", "320100", True),
        ("320102", "320102", True),  # reflexive: a center's subtree includes itself
        ("320100", "320000", True),
        ("320102", "320200", False),
        ("320102", "330000", False),
        ("320000", "320100", False),  # a province is not inside its city
        ("320100", "320102", False),
    ],
)
def test_is_within(code: str, ancestor: str, expected: bool) -> None:
    assert is_within(code, ancestor) is expected


def test_is_within_rejects_invalid_codes() -> None:
    with pytest.raises(CodeError):
        is_within("320102", "990000")
