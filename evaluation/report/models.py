"""The evaluation report (评标报告): one version per finalisation, each member's signature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class EvaluationReport(IdMixin, Base):
    """The report's document exactly as signed (its canonical JSON's SHA-256 beside it).

    A re-evaluation adds the next version; older ones stay readable (`superseded_at`)."""

    __tablename__ = "evaluation_report"
    __table_args__ = (UniqueConstraint("lot_id", "version"),)

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    committee_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee.id"))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportSignature(IdMixin, Base):
    """One seated member's Ed25519 signature over the signing statement (the report's digest,
    its version, the member's position and their dissenting opinion, if any)."""

    __tablename__ = "evaluation_report_signature"
    __table_args__ = (UniqueConstraint("report_id", "member_id"),)

    report_id: Mapped[int] = mapped_column(BigId, ForeignKey("evaluation_report.id"), index=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee_member.id"))
    party_key_id: Mapped[int] = mapped_column(BigId, ForeignKey("party_key.id"))
    dissent: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
