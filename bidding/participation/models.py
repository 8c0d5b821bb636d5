"""Before sealing: registrations (报名), questions, bid security, notices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import Base, BigId, IdMixin, UTCDateTime


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
