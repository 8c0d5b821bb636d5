"""Response shapes of the center API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class CenterOut(msgspec.Struct):
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None
    timezone: str
    # Published, non-sandbox lots: this center alone and with everything below it.
    lots: int
    lots_subtree: int
    awarded: int
    awarded_subtree: int


class CenterDetailOut(msgspec.Struct):
    center: CenterOut
    ancestors: list[str]
    children: list[CenterOut]
    rule_overrides: dict[str, Any]
    stats_self: dict[str, Any]
    stats_subtree: dict[str, Any]


class CenterLotOut(msgspec.Struct):
    id: int
    project_id: int
    project_code: str
    project_title: str
    center: str
    category: str
    title: str
    state: str
    sandbox: bool
    bid_deadline: datetime


class AuditRowOut(msgspec.Struct):
    seq: int
    at: datetime
    center: str | None
    action: str
    actor: str
    target: str
    body: str
    entry_hash: str
