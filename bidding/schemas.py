"""Shapes of the bidding API."""

from __future__ import annotations

from typing import Any

import msgspec


class ReceiptOut(msgspec.Struct):
    bid_id: int
    status: str
    receipt: dict[str, Any]


class ShareIn(msgspec.Struct, forbid_unknown_fields=True):
    share: dict[str, Any]


class OpeningOut(msgspec.Struct):
    lot_id: int
    state: str
