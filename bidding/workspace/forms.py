"""The project form: a posted HTML form read into a ProjectIn, every problem kept next to the
field it concerns (input names `title`, `lots-0-bid_deadline`, ...), and a stored project
written back into the form's values. Times are typed in the center's own zone."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from bidding.workspace.service import Finding
from trading.enums import Category, Method, PriceBasis
from trading.kernel.errors import ValidationFailed
from trading.kernel.money import InputError, amount
from trading.projects import windows
from trading.projects.models import Lot, Project
from trading.projects.schemas import ProjectIn
from trading.rules import RuleConfigError, get_ruleset

PROJECT_TEXT = ("title", "location", "contact_name", "contact_phone", "region_code")
PROJECT_LONG = ("description", "qualification")
LOT_AMOUNTS = ("budget", "control_price", "bid_security")
LOT_TIMES = (
    "docs_issued_at",
    "docs_available_until",
    "clarification_deadline",
    "bid_deadline",
    "evaluation_at",
)
REQUIRED = {"title", "tenderer_uscc", "lot_title", "budget", "docs_issued_at", "bid_deadline"}
MAX_LOTS = 50
INPUT_TIME = "%Y-%m-%dT%H:%M"
FORM = "_form"  # a problem of the whole form, shown above it
_PATH = re.compile(r"^\$?\.?(?:lots\[(\d+)\]\.)?(\w+)")


@dataclass
class Form:
    """What the template renders: the values as typed, the number of lot rows, the findings."""

    values: dict[str, str]
    lots: int
    errors: dict[str, list[Finding]] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        self.errors.setdefault(finding.field, []).append(finding)

    def window_hint(self) -> tuple[int, int, int, str]:
        """(default, least, most minutes, citation) of the decryption window for the chosen
        category and method, shown next to each lot's field."""
        try:
            ruleset = get_ruleset(self.values.get("category", ""), self.values.get("method", ""))
        except RuleConfigError:
            ruleset = None  # an unknown pair: the form says so next to the method
        return windows.minutes(None, ruleset), *windows.bounds(ruleset)


def lot_key(i: int, name: str) -> str:
    return f"lots-{i}-{name}"


def blank() -> Form:
    return Form(
        {
            "category": Category.CONSTRUCTION.value,
            "method": Method.OPEN_TENDER.value,
            lot_key(0, "price_basis"): PriceBasis.BUDGET.value,
            lot_key(0, "bid_security"): "0",
            lot_key(0, "evaluation_method"): "low_price",
            lot_key(0, "evaluation_params"): "{}",
        },
        1,
    )


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).strftime(INPUT_TIME)


def from_project(project: Project, tenderer_uscc: str, lots: list[Lot], zone: ZoneInfo) -> Form:
    values = {
        "title": project.title,
        "category": str(project.category),
        "method": str(project.method),
        "tenderer_uscc": tenderer_uscc,
        "region_code": project.region_code,
        "sandbox": "on" if project.sandbox else "",
        "description": project.description,
        "location": project.location,
        "qualification": project.qualification,
        "contact_name": project.contact_name,
        "contact_phone": project.contact_phone,
    }
    for i, lot in enumerate(lots):
        values |= {
            lot_key(i, "lot_title"): lot.title,
            lot_key(i, "budget"): str(lot.budget),
            lot_key(i, "control_price"): ""
            if lot.control_price is None
            else str(lot.control_price),
            lot_key(i, "price_basis"): str(lot.price_basis),
            lot_key(i, "bid_security"): str(lot.bid_security),
            lot_key(i, "evaluation_method"): lot.evaluation_method,
            lot_key(i, "evaluation_params"): json.dumps(lot.evaluation_params, ensure_ascii=False),
            lot_key(i, "anonymous_technical"): "on" if lot.anonymous_technical else "",
            lot_key(i, windows.FIELD): ""
            if lot.decrypt_window_minutes is None
            else str(lot.decrypt_window_minutes),
        }
        values |= {lot_key(i, name): _local(getattr(lot, name), zone) for name in LOT_TIMES}
    return Form(values, len(lots))


def _message(field_name: str, zh: str, en: str) -> Finding:
    return Finding(field_name, zh, en)


def posted(data: dict[str, str]) -> Form:
    """The posted values, lots marked for removal dropped and the rest numbered from 0."""
    try:
        count = min(max(int(data.get("lot_count", "1")), 1), MAX_LOTS)
    except ValueError:
        count = 1
    values = {k: v.strip() for k, v in data.items() if not k.startswith(("lots-", "_"))}
    kept = 0
    for i in range(count):
        if data.get(lot_key(i, "remove")):
            continue
        for key, value in data.items():
            prefix = lot_key(i, "")
            if key.startswith(prefix) and not key.endswith("-remove"):
                values[lot_key(kept, key[len(prefix) :])] = value.strip()
        kept += 1
    return Form(values, max(kept, 1))


def _time(form: Form, key: str, zone: ZoneInfo) -> datetime | None:
    raw = form.values.get(key, "")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        form.add(_message(key, "时间格式应为 年-月-日T时:分", "a time as YYYY-MM-DDTHH:MM"))
        return None
    if moment.tzinfo is None:  # typed on the center's wall clock
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _amount(form: Form, key: str, *, positive: bool) -> str | None:
    raw = form.values.get(key, "").replace(",", "").replace("，", "")
    if not raw:
        return None
    try:
        amount(raw, key, positive=positive)
    except InputError as exc:
        form.add(_message(key, f"金额无效：{exc.reason}", f"invalid amount: {exc.reason}"))
        return None
    return raw


def _minutes(form: Form, key: str) -> int | None:
    raw = form.values.get(key, "")
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        form.add(_message(key, "应为整数分钟", "whole minutes"))
        return None
    return int(raw)


def _field_of_path(path: str) -> str:
    found = _PATH.match(path)
    if found is None:
        return ""
    index, name = found.groups()
    if index is None:
        return name
    return lot_key(int(index), "lot_title" if name == "title" else name)


def read(form: Form, zone: ZoneInfo, center_code: str) -> ProjectIn | None:
    """The ProjectIn the form states, or None with the problems added to `form`."""
    v = form.values
    for name in ("title", "tenderer_uscc"):
        if not v.get(name):
            form.add(_message(name, "必填", "required"))
    lots: list[dict[str, Any]] = []
    for i in range(form.lots):
        lot: dict[str, Any] = {
            "title": v.get(lot_key(i, "lot_title"), ""),
            "price_basis": v.get(lot_key(i, "price_basis")) or PriceBasis.BUDGET.value,
            "evaluation_method": v.get(lot_key(i, "evaluation_method")) or "low_price",
            "anonymous_technical": bool(v.get(lot_key(i, "anonymous_technical"))),
        }
        for name in ("lot_title", "budget", "docs_issued_at", "bid_deadline"):
            if not v.get(lot_key(i, name)):
                form.add(_message(lot_key(i, name), "必填", "required"))
        for name in LOT_AMOUNTS:
            lot[name] = _amount(form, lot_key(i, name), positive=name != "bid_security")
        lot["bid_security"] = lot["bid_security"] or "0"
        for name in LOT_TIMES:
            lot[name] = _time(form, lot_key(i, name), zone)
        lot[windows.FIELD] = _minutes(form, lot_key(i, windows.FIELD))
        params = v.get(lot_key(i, "evaluation_params")) or "{}"
        try:
            lot["evaluation_params"] = json.loads(params)
            if not isinstance(lot["evaluation_params"], dict):
                raise ValueError(params)
        except ValueError:
            form.add(_message(lot_key(i, "evaluation_params"), "应为 JSON 对象", "a JSON object"))
        lots.append(lot)
    if form.errors:
        return None
    body = {
        "title": v.get("title", ""),
        "category": v.get("category", ""),
        "method": v.get("method", ""),
        "tenderer_uscc": v.get("tenderer_uscc", "").upper(),
        "region_code": v.get("region_code") or None,
        "center_code": center_code,
        "sandbox": bool(v.get("sandbox")),
        "lots": [{k: x for k, x in lot.items() if x is not None} for lot in lots],
        **{name: v.get(name, "") for name in PROJECT_TEXT if name not in ("title", "region_code")},
        **{name: v.get(name, "") for name in PROJECT_LONG},
    }
    try:
        data = msgspec.convert(body, ProjectIn)
    except msgspec.ValidationError as exc:
        text = str(exc)
        key = _field_of_path(text.rpartition(" - at `")[2].rstrip("`")) or FORM
        form.add(_message(key, text.partition(" - at ")[0], text.partition(" - at ")[0]))
    except ValidationFailed as exc:
        key = _field_of_path(str(exc.detail.get("field", ""))) or FORM
        form.add(_message(key, exc.message, exc.message))
    else:
        for i, v in windows.violations(data):  # the bounds registration enforces, cited
            form.add(Finding(lot_key(i, windows.FIELD), v.message_zh, v.message_en, v.citation))
        return None if form.errors else data
    return None


def refusal(form: Form, exc: ValidationFailed) -> None:
    """A service's refusal (unknown tenderer, bad region) next to the field it names."""
    key = _field_of_path(str(exc.detail.get("field", ""))) or FORM
    form.add(_message(key, exc.message, exc.message))
