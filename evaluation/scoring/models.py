"""An expert's score sheet for one lot, and the chair's finalisation of the committee's work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
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
    # The member's Ed25519 signature (base64url) over the declaration statement's canonical
    # JSON (evaluation/scoring/signed.py), verified against their registered key.
    declaration_signature: Mapped[str] = mapped_column(String(128), default="")
    declaration_key_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("party_key.id"))
    qualification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deviation_reasons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoringFinal(Base):
    """The chair closed the committee's work: from here on nothing changes except through a
    recorded re-evaluation (`ReEvaluation`); `finalised_at` is the latest closing."""

    __tablename__ = "scoring_final"

    committee_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("committee.id"), primary_key=True, autoincrement=False
    )
    finalised_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    finalised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReEvaluation(IdMixin, Base):
    """A recorded re-evaluation after finalising (87号令 第64条): one of the allowed cases,
    the reason, who opened it; open until the chair finalises again (`closed_at`).
    Numbered per committee: two openings racing collide on the unique (committee, number)."""

    __tablename__ = "re_evaluation"
    __table_args__ = (UniqueConstraint("committee_id", "number"),)

    committee_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee.id"), index=True)
    number: Mapped[int]
    case: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    opened_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
