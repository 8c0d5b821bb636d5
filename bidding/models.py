"""Bids, released key shares and the opening of a lot."""

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


class ReleasedShare(IdMixin, Base):
    """A custodian's key share, released at the opening (never before the deadline)."""

    __tablename__ = "released_share"
    __table_args__ = (UniqueConstraint("lot_id", "custodian_id"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    share: Mapped[dict[str, Any]] = mapped_column(JSON)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Opening(Base):
    """The opening of one lot: its progress survives a restart."""

    __tablename__ = "opening"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The recovered opening key; only exists after the deadline, once k shares were released.
    opening_priv: Mapped[str | None] = mapped_column(String(128))
    key_recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bid_snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Registration(IdMixin, Base):
    """A bidder's registration for a lot (报名): who may download the documents and bid."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("lot_id", "bidder_org_id"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Question(IdMixin, Base):
    """A bidder's question; answered publicly without naming the asker (条例 21)."""

    __tablename__ = "question"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    asker_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))


class BidSecurity(IdMixin, Base):
    """Bid security (投标保证金) a bidder lodged for a lot."""

    __tablename__ = "bid_security"
    __table_args__ = (UniqueConstraint("lot_id", "bidder_org_id"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    amount: Mapped[Decimal]
    form: Mapped[str] = mapped_column(String(16))  # cash | guarantee | insurance
    reference: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notice(IdMixin, Base):
    """A message to a registered bidder (clarification, amendment, moved deadline)."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_org_created", "bidder_org_id", "created_at"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ---- confirmations and objections on the opening record (条例 44) ---------------------------


class OpeningReview(Base):
    """The window in which bidders confirm the opening record or object to it."""

    __tablename__ = "opening_review"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), primary_key=True)
    # Stored, not recomputed: changing the configured window later moves no running window.
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResponseKind:
    CONFIRM = "confirm"  # the bidder confirms its price and the opening summary
    OBJECTION = "objection"  # raised at the opening, answered by the center on the record


class OpeningResponse(IdMixin, Base):
    """A bidder's confirmation of, or objection to, the opening record, and the answer."""

    __tablename__ = "opening_response"
    __table_args__ = (Index("ix_opening_response_lot_created", "lot_id", "created_at"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
