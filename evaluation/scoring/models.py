"""An expert's score sheet for one lot, and the chair's finalisation of the committee's work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class ScoreSheet(IdMixin, Base):
    """One seated member's work on the lot: the no-conflict declaration first, then the
    qualification decision and the per-criterion scores of every bid (drafts until submitted).

    `qualification`: {bid_id: {"pass": bool, "reason": str}}; `scores`: {bid_id: {criterion_id:
    {"score": "8.5", "comment": str}}}; `deviation_reasons`: {"bid_id/criterion_id": reason}."""

    __tablename__ = "score_sheet"

    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee_member.id"), unique=True)
    committee_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee.id"), index=True)
    declaration: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    qualification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deviation_reasons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoringFinal(Base):
    """The chair closed the committee's work: from here on nothing changes."""

    __tablename__ = "scoring_final"

    committee_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("committee.id"), primary_key=True, autoincrement=False
    )
    finalised_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    finalised_at: Mapped[datetime] = mapped_column(UTCDateTime)
