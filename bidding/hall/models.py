"""Bidders' responses to the opening record (confirmations and objections)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import Base, BigId, IdMixin, UTCDateTime


class ResponseKind:
    CONFIRM = "confirm"  # the bidder confirms its price and the opening summary
    OBJECTION = "objection"  # raised at the opening, answered by the center on the record


LIVE = "kind = 'confirm' OR answer IS NULL"  # the rows that hold a bidder's live slot


class OpeningResponse(IdMixin, Base):
    """A bidder's confirmation of, or objection to, the opening record, and the answer."""

    __tablename__ = "opening_response"
    __table_args__ = (
        Index("ix_opening_response_lot_created", "lot_id", "created_at"),
        # One response of each kind per bidder: a second objection fails here, and so does the
        # second of two racing confirmations.
        Index("uq_opening_response_kind", "lot_id", "bidder_org_id", "kind", unique=True),
        # Confirm or object, not both (条例 44): a confirmation and an unanswered objection hold
        # the bidder's one "live" slot, so of a racing confirmation and objection one fails here;
        # the answer frees the slot, and then the bidder may confirm.
        Index(
            "uq_opening_response_live",
            "lot_id",
            "bidder_org_id",
            unique=True,
            sqlite_where=text(LIVE),
            postgresql_where=text(LIVE),
        ),
    )

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
