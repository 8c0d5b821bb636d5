"""Exact-decimal arithmetic shared by every package (amounts, scores, rates).

Standard library only: anything that handles money can depend on this module
without pulling in a domain.

* Intermediate arithmetic runs in ``DECIMAL_CONTEXT``, a fixed 40-digit context
  independent of the caller's, so a recomputation on another machine gives the
  same digits.
* Amounts are exact: floats are refused, and strings only in plain decimal
  notation (the JSON form of amounts).
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

__all__ = [
    "DECIMAL_CONTEXT",
    "HUNDRED",
    "MAX_AMOUNT",
    "ONE",
    "ZERO",
    "InputError",
    "amount",
    "as_decimal",
    "quantize",
]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Explicit context: results must not depend on whatever context the caller set up.
DECIMAL_CONTEXT = Context(
    prec=40, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
)

# Plain decimal notation only: no exponent, no NaN/Infinity, no thousands separator.
_AMOUNT_RE = re.compile(r"-?\d+(\.\d+)?")


class InputError(ValueError):
    """Bad input or parameters; ``path`` names the offending field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def as_decimal(value: object, path: str, *, strings: bool = False) -> Decimal:
    """Coerce an exact amount to Decimal; floats are refused (they are not exact).

    ``strings=True`` also accepts plain decimal strings such as ``"123.45"`` (the
    JSON form of amounts).
    """
    if isinstance(value, bool):  # bool is an int subclass; True is not an amount
        raise InputError(path, "not a decimal amount")
    if isinstance(value, float):
        raise InputError(
            path, "not a decimal amount (floats are not accepted; write it as a string)"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(path, "not a decimal amount (must be finite)")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if strings and isinstance(value, str) and _AMOUNT_RE.fullmatch(value):
        return Decimal(value)
    raise InputError(path, "not a decimal amount")


def quantize(value: Decimal, places: int = 2) -> Decimal:
    """Round half-up to ``places`` decimal places (RULES.md: half-up, places stated)."""
    with localcontext(DECIMAL_CONTEXT):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# Amount columns are Numeric(18, 2), but SQLite keeps NUMERIC values as 64-bit floats, exact to
# 15 significant digits: 13 integer digits and fen (ten trillion yuan) is stored exactly by both
# databases, so what the record publishes is what either database holds.
MAX_AMOUNT = Decimal("9999999999999.99")


def amount(value: object, path: str, *, positive: bool = True) -> Decimal:
    """The one amount type: yuan with at most 2 decimals, within the column's precision.

    Registration, the sealed price form and the opening all read amounts through this, so
    what is published is exactly what is stored. Plain decimal strings are accepted (the JSON
    form of amounts); floats, exponents, NaN and infinities are not.
    """
    number = as_decimal(value, path, strings=True)
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InputError(path, "at most 2 decimal places (yuan and fen)")
    if abs(number) > MAX_AMOUNT:
        raise InputError(path, f"out of range (at most {MAX_AMOUNT})")
    if positive and number <= 0:
        raise InputError(path, "must be greater than zero")
    return number
