"""Shapes of the submission API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class ReceiptOut(msgspec.Struct):
    bid_id: int
    status: str
    receipt: dict[str, Any]


class BidMetaOut(msgspec.Struct):
    """What a supervisor sees of a bid: metadata, and the price only once decrypted."""

    bid_id: int
    lot_id: int
    center: str
    bidder: str
    version: int
    status: str
    ciphertext_sha256: str
    size: int
    client_ip: str
    received_at: datetime
    price: str | None
