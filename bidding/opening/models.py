"""The opening of a lot, the key shares released to it and the staff's review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


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
    # The end of the bidders' decryption window (电子办法 30), fixed when the opening starts:
    # changing the ruleset later moves no running window. What is still sealed then is decided
    # (电子办法 31), so the opening always ends. None on openings started before the window.
    decrypt_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who is decrypting now, until when: one runner across processes; a crashed one's lease
    # runs out and reconciliation takes over.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OpeningReview(Base):
    """The window in which bidders confirm the opening record or object to it."""

    __tablename__ = "opening_review"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), primary_key=True)
    # Stored, not recomputed: changing the configured window later moves no running window.
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reminder(IdMixin, Base):
    """A reminder staff sent to a custodian (user) or a bidder (organization) who has not acted
    at the opening: the custodian's workspace notice, and the record of the rate limit."""

    __tablename__ = "reminder"
    __table_args__ = (
        Index("ix_reminder_lot_created", "lot_id", "created_at"),
        Index("ix_reminder_user_created", "user_id", "created_at"),
    )

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    # Exactly one of the two: a custodian is a person, a bidder is its organization.
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organization.id"))
    text: Mapped[str] = mapped_column(Text)
    # None: sent by the platform itself (the automatic reminder during the decryption window).
    sent_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckIn(IdMixin, Base):
    """签到: a bidder with a bid on the lot says it attends the opening (电子办法 29). A record of
    attendance, not a condition for decryption; one per organization and lot."""

    __tablename__ = "opening_checkin"
    __table_args__ = (UniqueConstraint("lot_id", "org_id"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
