"""Times and money as a trading center prints them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading.kernel.present import capital, wan, when, yuan


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.5", "伍角"),
        ("1.05", "壹元零伍分"),
        ("1.50", "壹元伍角"),
        ("10", "壹拾元整"),
        ("105", "壹佰零伍元整"),
        ("1005", "壹仟零伍元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("100010", "壹拾万零壹拾元整"),
        ("10000000", "壹仟万元整"),
        ("10500", "壹万零伍佰元整"),
        ("1000000005", "壹拾亿零伍元整"),
        ("100020000", "壹亿零贰万元整"),
        ("2.345", "贰元叁角伍分"),  # half-up to the fen
        ("-12", "负壹拾贰元整"),
    ],
)
def test_capital_numerals(amount: str, text: str) -> None:
    assert capital(Decimal(amount)) == text


def test_capital_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="too large"):
        capital(Decimal(10) ** 16)


def test_amounts_and_times() -> None:
    assert yuan(Decimal("1234567.885")) == "1,234,567.89"
    assert yuan(None) == "—"
    assert wan(Decimal("1234567.00")) == "123.46"
    at = datetime(2026, 2, 5, 7, 40, 25, 17724, tzinfo=UTC)
    assert when(at, "Asia/Shanghai") == "2026-02-05 15:40"
    assert when(at, "Asia/Shanghai", seconds=True) == "2026-02-05 15:40:25"
    assert when(None, "Asia/Shanghai") == "—"
