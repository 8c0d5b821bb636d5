"""JSON request bodies: amounts and times validated once, when the body is built.

A request body is a ``JsonBody``. On construction (msgspec decoding, or Python code building
one) every field of it and of the structs it nests, lists included, is checked:

* Fields declared ``Amount`` or ``AmountOrZero`` go through ``money.amount`` and hold a
  ``Decimal`` from then on. The API documents amounts as strings, and only strings are taken:
  a JSON number is a binary float by the time the body is decoded, so ``1234567890123.45``
  could arrive altered and nobody could tell (a number where a string is due is a 400, like
  any other wrong type).
* Every ``datetime`` must carry its time zone and lie in ``TIMES`` (years 2000 to 2199): a
  time at the edge of what Python can represent overflows when it is moved to UTC or has a
  period added to it.

A bad value is refused with 422 naming the field as the client wrote it (``lots[0].budget``),
before any handler runs. Nested structs are plain ``msgspec.Struct``: only the outermost body
knows the full path.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Annotated, Union, get_args, get_origin

import msgspec
from litestar.params import KwargDefinition

from trading.kernel.errors import ValidationFailed
from trading.kernel.money import MAX_AMOUNT, InputError, amount

__all__ = ["TIMES", "Amount", "AmountOrZero", "JsonBody", "validate_body"]

# Wide enough for any tender, archive or schedule; far from the edges of datetime arithmetic.
TIMES = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class _AmountField:
    positive: bool


# What the OpenAPI document promises (money.amount enforces it, with a 422 that names the field).
_DOC = KwargDefinition(
    pattern=rf"^[0-9]{{1,{len(str(int(MAX_AMOUNT)))}}}(\.[0-9]{{1,2}})?$",
    max_length=len(str(MAX_AMOUNT)),
    description="金额（元），字符串，最多两位小数 / yuan as a string, at most 2 decimals",
)

if TYPE_CHECKING:
    # After construction the field holds the validated Decimal.
    Amount = Decimal
    AmountOrZero = Decimal
else:
    Amount = Annotated[str, _DOC, _AmountField(positive=True)]
    AmountOrZero = Annotated[str, _DOC, _AmountField(positive=False)]


def _amount_spec(hint: object) -> _AmountField | None:
    """The amount marker of a field's type (``Amount``, ``Amount | None``), if any."""
    if get_origin(hint) in (Union, types.UnionType):
        specs = [_amount_spec(arg) for arg in get_args(hint) if arg is not type(None)]
        return next((s for s in specs if s is not None), None)
    if get_origin(hint) is Annotated:
        return next((m for m in hint.__metadata__ if isinstance(m, _AmountField)), None)  # type: ignore[attr-defined]
    return None


@cache
def _amount_fields(cls: type[msgspec.Struct]) -> dict[str, _AmountField]:
    found = ((f.name, _amount_spec(f.type)) for f in msgspec.structs.fields(cls))
    return {name: spec for name, spec in found if spec is not None}


def _checked_amount(value: object, path: str, spec: _AmountField) -> Decimal:
    number = amount(value, path, positive=spec.positive)
    if number < 0:  # AmountOrZero: zero allowed, a negative amount never
        raise InputError(path, "must not be negative")
    return number


def _checked_time(value: datetime, path: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            f"{path}: 需要带时区的时间 / needs a timezone", detail={"field": path}
        )
    # Compared without moving it to UTC first: that move is what overflows near the edges.
    low, high = TIMES
    if not low.replace(tzinfo=None) <= value.replace(tzinfo=None) < high.replace(tzinfo=None):
        raise ValidationFailed(
            f"{path}: 时间超出范围 / out of range ({low.year} to {high.year - 1})",
            detail={"field": path},
        )
    return value


def validate_body(struct: msgspec.Struct, path: str = "") -> None:
    """Check every amount and time of `struct` and of the structs it nests, replacing each
    amount by its Decimal; raise ValidationFailed naming the first bad field."""
    amounts = _amount_fields(type(struct))
    for name in struct.__struct_fields__:
        value, where = getattr(struct, name), f"{path}{name}"
        if value is None:  # only an optional field may hold None (msgspec checked the type)
            continue
        if name in amounts:
            try:
                setattr(struct, name, _checked_amount(value, where, amounts[name]))
            except InputError as exc:
                raise ValidationFailed(
                    f"{exc.path}: 金额无效 / invalid amount: {exc.reason}",
                    detail={"field": exc.path},
                ) from exc
        elif isinstance(value, datetime):
            _checked_time(value, where)
        elif isinstance(value, msgspec.Struct):
            validate_body(value, f"{where}.")
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, msgspec.Struct):
                    validate_body(item, f"{where}[{i}].")


class JsonBody(msgspec.Struct):
    """A JSON request body: its amounts and times are validated once, when it is built."""

    def __post_init__(self) -> None:
        validate_body(self)
