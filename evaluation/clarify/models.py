"""暗标 letters, and clarification requests (澄清): the committee's questions to a bidder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import Base, BigId, IdMixin, UTCDateTime


class AnonymousLabel(Base):
    """A bid's letter on an 暗标 lot (投标人A, B, …): drawn at random once the bids are known, so
    it says nothing of the order of submission or of the company."""

    __tablename__ = "anonymous_label"
    __table_args__ = (UniqueConstraint("lot_id", "letter"),)

    bid_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("bid.id"), primary_key=True, autoincrement=False
    )
    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    letter: Mapped[str] = mapped_column(String(4))


class ClarificationState:
    PROPOSED = "proposed"  # a member's question, waiting for the chair to send it with a deadline
    SENT = "sent"  # the bidder can read and answer it
    ANSWERED = "answered"


class Clarification(IdMixin, Base):
    """One question of the committee to one bidder about its bid, and the bidder's answer (text
    and an optional file by SHA-256). Never the price: 条例 52 forbids changing the bid's
    substance, so the answer has no price field at all."""

    __tablename__ = "clarification"
    __table_args__ = (Index("ix_clarification_org_state", "bidder_org_id", "state"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    bid_id: Mapped[int] = mapped_column(BigId, ForeignKey("bid.id"))
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    asked_by_member_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee_member.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=ClarificationState.PROPOSED)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set by the chair
    answer: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigId)
    answered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
