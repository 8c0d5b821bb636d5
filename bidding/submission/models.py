"""Sealed bids: ciphertext by digest, status, and the outcome of their opening."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class BidStatus:
    ACTIVE = "active"  # the version that counts
    REPLACED = "replaced"  # superseded by a later version (the last one counts)
    WITHDRAWN = "withdrawn"  # withdrawn by the bidder before the deadline
    DECRYPTED = "decrypted"
    REVOKED = "revoked"  # undecryptable through the bidder's fault (撤销)
    FAILED = "failed"  # undecryptable through the platform's or another's fault (撤回)


class Bid(IdMixin, Base):
    __tablename__ = "bid"
    __table_args__ = (
        UniqueConstraint("lot_id", "bidder_org_id", "version"),
        Index("ix_bid_lot_status", "lot_id", "status"),
    )

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    submitted_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=BidStatus.ACTIVE)
    ciphertext_sha256: Mapped[str] = mapped_column(String(64))
    header_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigId)
    signature: Mapped[str] = mapped_column(String(200))
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Known only after the opening.
    decrypted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    price: Mapped[Decimal | None]
    price_form: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_cause: Mapped[str] = mapped_column(Text, default="")
