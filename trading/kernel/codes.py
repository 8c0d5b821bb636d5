"""Identifier codes of the Chinese administration, validated precisely.

- 统一社会信用代码 (unified social credit code, USCC), GB 32100-2015.
- 行政区划代码 (administrative division code), GB/T 2260.

Pure functions; every error is a `CodeError` with a Chinese and an English half so the
message can be shown as is on a bilingual form.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "PROVINCE_PREFIXES",
    "USCC_CHARSET",
    "CodeError",
    "DivisionCode",
    "DivisionLevel",
    "is_within",
    "parse_division_code",
    "uscc_check_char",
    "validate_uscc",
]


class CodeError(ValueError):
    """An identifier code is malformed; the message is "中文 / English"."""


# GB 32100-2015, table 2: digits and upper-case letters without I, O, Z, S, V
# (they are too easily confused with 1, 0, 2, 5, U). A character's value is its index.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015, 5.3: weight of position i is 3^(i-1) mod 31. (The sequence 3, 7, 9, 10,
# 5, 8, 4, 2 sometimes quoted belongs to the embedded organization code, GB 11714, and
# rejects real codes such as Tencent's 9144030071526726XG.)
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, …
_USCC_LENGTH = 18


def _normalize(code: str) -> str:
    # NFKC folds full-width input (９１３５…), common from Chinese IMEs, to ASCII.
    return unicodedata.normalize("NFKC", code).strip().upper()


def _check_charset(code: str, what_zh: str, what_en: str, charset: str) -> None:
    for position, char in enumerate(code, start=1):
        if char not in charset:
            raise CodeError(
                f"{what_zh}第{position}位字符“{char}”不合法 / "
                f"{what_en}: character {position} {char!r} is not allowed"
            )


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a USCC."""
    body = _normalize(first17)
    if len(body) != _USCC_LENGTH - 1:
        raise CodeError(
            f"统一社会信用代码本体应为17位，实际为{len(body)}位 / "
            f"USCC body must be 17 characters, got {len(body)}"
        )
    _check_charset(body, "统一社会信用代码", "USCC", USCC_CHARSET)
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    # C18 = 31 - MOD(Σ Ci·Wi, 31); a result of 31 is written as 0.
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the normalized USCC (stripped, upper-case) or raise `CodeError`."""
    normalized = _normalize(code)
    if len(normalized) != _USCC_LENGTH:
        raise CodeError(
            f"统一社会信用代码应为18位，实际为{len(normalized)}位 / "
            f"USCC must be 18 characters, got {len(normalized)}"
        )
    _check_charset(normalized, "统一社会信用代码", "USCC", USCC_CHARSET)
    expected = uscc_check_char(normalized[:17])
    if normalized[17] != expected:
        raise CodeError(
            f"统一社会信用代码校验位错误：应为 {expected} / "
            f"USCC check digit wrong: expected {expected}"
        )
    return normalized


# --- administrative divisions (GB/T 2260) ---------------------------------------------

# Province-level prefixes in use: 华北 11–15, 东北 21–23, 华东 31–37, 中南 41–46,
# 西南 50–54, 西北 61–65, 台湾 71, 香港 81, 澳门 82.
PROVINCE_PREFIXES: frozenset[str] = frozenset(
    f"{n:02d}"
    for start, end in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
    for n in range(start, end + 1)
) | frozenset({"71", "81", "82"})

DivisionLevel = Literal["province", "city", "county"]


@dataclass(frozen=True, slots=True)
class DivisionCode:
    """A parsed 6-digit division code: AA (province) BB (city) CC (county)."""

    code: str
    level: DivisionLevel
    province_code: str
    # None for a province. A county's parent is its city code XXYY00 — also for the
    # districts of a municipality (110101 → 110100 "市辖区") and for counties
    # administered directly by a province (429004 → 429000).
    parent_code: str | None


def parse_division_code(code: str) -> DivisionCode:
    """Parse and validate a division code; raise `CodeError` with a precise reason."""
    normalized = _normalize(code)
    if len(normalized) != 6 or not normalized.isascii() or not normalized.isdigit():
        raise CodeError(
            f"行政区划代码应为6位数字，实际为“{normalized}” / "
            f"division code must be exactly 6 digits, got {normalized!r}"
        )
    province, city, county = normalized[:2], normalized[2:4], normalized[4:]
    if province not in PROVINCE_PREFIXES:
        raise CodeError(
            f"行政区划代码省级部分“{province}”不存在 / "
            f"division code: province part {province!r} is not a province-level code"
        )
    if city == "00" and county != "00":
        raise CodeError(
            f"行政区划代码地市部分为00时县级部分必须为00，实际为“{county}” / "
            f"division code: a county part {county!r} needs a city part, got '00'"
        )
    province_code = f"{province}0000"
    if city == "00":
        return DivisionCode(normalized, "province", province_code, None)
    if county == "00":
        return DivisionCode(normalized, "city", province_code, province_code)
    return DivisionCode(normalized, "county", province_code, f"{province}{city}00")


def is_within(code: str, ancestor_code: str) -> bool:
    """True when `code` is `ancestor_code` itself or lies in its subtree.

    Reflexive on purpose: a center's subtree (for supervisors and roll-ups) includes
    the center itself.
    """
    division = parse_division_code(code)
    ancestor = parse_division_code(ancestor_code)
    significant = {"province": 2, "city": 4, "county": 6}[ancestor.level]
    return division.code[:significant] == ancestor.code[:significant]
