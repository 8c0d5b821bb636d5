"""How a trading center prints times and money: one format for pages, PDFs and CSV.

Times: ``2026-02-05 15:40`` (``…:25`` with seconds on records) in the center's zone.
Amounts: ``1,234,567.89`` yuan, ``123.46`` 万元, and capital numerals (大写) on records and
notices: ``壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

DASH = "—"
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"
CENT = Decimal("0.01")
TEN_THOUSAND = Decimal(10_000)


def when(value: datetime | str | None, zone: str | ZoneInfo, *, seconds: bool = False) -> str:
    """A stored (UTC) time as the center's wall clock; an ISO-8601 string (as signed records and
    tree heads carry it) is read first."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return value.astimezone(tz).strftime(SECONDS if seconds else MINUTES)


def yuan(value: Decimal | None) -> str:
    """``1,234,567.89``: thousands separators, two decimals, half-up."""
    if value is None:
        return DASH
    return f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"


def wan(value: Decimal | None) -> str:
    """The amount in 万元 (ten-thousands of yuan), as centers print budgets: ``123.46``."""
    if value is None:
        return DASH
    return f"{(value / TEN_THOUSAND).quantize(CENT, ROUND_HALF_UP):,.2f}"


DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _group(n: int) -> str:
    """Capital numerals of 0 < n < 10000, with the zeros a cheque writes (一千零五 → 壹仟零伍)."""
    out, zero = "", False
    for power in range(3, -1, -1):
        digit = n // 10**power % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += DIGITS[0]
            zero = False
        out += DIGITS[digit] + UNITS[power]
    return out


def capital(value: Decimal) -> str:
    """人民币大写 as on a notice of award: 壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分, 零元整, 负….

    Rounds half-up to the fen; amounts up to 10^16 yuan (万亿 groups)."""
    cents = int(value.quantize(CENT, ROUND_HALF_UP) * 100)
    sign, cents = ("负" if cents < 0 else ""), abs(cents)
    whole, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if whole >= 10**16:
        raise ValueError(f"amount too large for capital numerals: {value}")
    groups = []
    while whole:
        groups.append(whole % 10_000)
        whole //= 10_000
    text, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += DIGITS[0]  # 壹万零伍佰, 壹亿零贰万
        text += _group(group) + GROUPS[index]
        gap = False
    if text:
        text += "元"
    if jiao == 0 and fen == 0:
        return sign + (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text:
        text += DIGITS[0]  # 壹元零伍分
    if fen:
        text += DIGITS[fen] + "分"
    return sign + text
