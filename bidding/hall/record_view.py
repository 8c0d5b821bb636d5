"""The signed opening record as a center prints it: the page and the PDF read the same view."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from trading.kernel import present


@dataclass(frozen=True)
class Column:
    """One price-form column (开标一览表): its key in the sealed form and its labels."""

    key: str
    zh: str
    en: str
    numeric: bool = False


# The form's fixed fields (crypto.bundle.make_price_form), in a center's order; whatever else
# a bidder's form carries follows under its own key, so no sealed column goes unread.
PRICE_COLUMNS = (
    Column("price", "投标报价(元)", "Bid price (yuan)", numeric=True),
    Column("price_capital", "投标报价(大写)", "Bid price in words"),
    Column("duration_days", "工期(日历天)", "Duration (days)", numeric=True),
    Column("quality", "质量", "Quality"),
)
CURRENCY = Column("currency", "币种", "Currency")
EXTRA_LABELS = {
    "discount_rate": ("下浮率", "Discount rate"),
    "warranty_months": ("质保期(月)", "Warranty (months)"),
    "project_manager": ("项目经理", "Project manager"),
    "delivery_days": ("交货期(日历天)", "Delivery (days)"),
    "remarks": ("备注", "Remarks"),
}


@dataclass(frozen=True)
class RecordRow:
    index: int
    bidder: str
    uscc: str
    outcome: str
    cause: str
    sha256: str
    cells: dict[str, str]


@dataclass(frozen=True)
class RecordView:
    """The signed record, formatted: times in the center's zone, amounts with separators and
    大写. ``opening_at`` is the opening itself (the bid deadline); ``signed_at`` is when the
    platform signed the record after the last bid was decided."""

    lot: str
    opening_at: str
    started_at: str
    signed_at: str
    zone: str
    control_price: str
    control_price_capital: str
    columns: tuple[Column, ...]
    rows: tuple[RecordRow, ...]


def _amount(raw: object) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _cell(value: object) -> str:
    if value is None or value == "":
        return present.DASH
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def record_view(
    signed: dict[str, Any],
    *,
    zone: str,
    opening_at: datetime | None,
    started_at: datetime | None = None,
) -> RecordView:
    """What the record page and PDF print of a signed record {record, signature, key_id}."""
    tz = ZoneInfo(zone)
    record = signed["record"]
    forms = [row.get("price_form") or {} for row in record["rows"]]
    fixed = {c.key for c in PRICE_COLUMNS} | {"currency"}
    extras: list[str] = []
    for form in forms:
        extras += [key for key in form if key not in fixed and key not in extras]
    columns = list(PRICE_COLUMNS)
    # Every form says CNY today: the header's (元) says it; another currency gets its column.
    if any(form.get("currency", "CNY") != "CNY" for form in forms):
        columns.append(CURRENCY)
    columns += [Column(key, *EXTRA_LABELS.get(key, (key, key))) for key in extras]
    rows = []
    for index, (row, form) in enumerate(zip(record["rows"], forms, strict=True), start=1):
        price = _amount(row.get("price")) if row.get("price") is not None else None
        cells = {key: _cell(form.get(key)) for key in [c.key for c in columns]}
        cells["price"] = present.yuan(price)
        cells["price_capital"] = present.capital(price) if price is not None else present.DASH
        rows.append(
            RecordRow(
                index=index,
                bidder=row["bidder"],
                uscc=row["uscc"],
                outcome=row["outcome"],
                cause=row.get("cause") or "",
                sha256=row["sha256"],
                cells=cells,
            )
        )
    control = _amount(record.get("control_price")) if record.get("control_price") else None
    return RecordView(
        lot=record["lot"],
        opening_at=present.when(opening_at, tz, seconds=True),
        started_at=present.when(started_at, tz, seconds=True),
        signed_at=present.when(datetime.fromisoformat(record["opened_at"]), tz, seconds=True),
        zone=zone,
        control_price=present.yuan(control),
        control_price_capital=present.capital(control) if control is not None else present.DASH,
        columns=tuple(columns),
        rows=tuple(rows),
    )
