"""The expert pool (专家库) and each lot's drawn committee."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class Expert(IdMixin, Base):
    """An evaluation expert: a platform user with the evaluator role, in one center's pool.

    `code` is the pseudonym the draw and the published draw document use; the name is
    shown to bidders and the public only once the lot's result is published (法 37)."""

    __tablename__ = "expert"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"), unique=True)
    center_id: Mapped[int] = mapped_column(BigId, ForeignKey("center.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    region_code: Mapped[str] = mapped_column(String(6))
    employer: Mapped[str] = mapped_column(String(200))
    employer_uscc: Mapped[str] = mapped_column(String(18), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Declared relations (回避): organizations the expert must not evaluate.
    avoid_usccs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PoolPolicy(Base):
    """How a center draws: whether its draws reach the pools of the centers above it
    (远程异地评标), and how long an expert rests from the same tenderer's lots."""

    __tablename__ = "expert_pool_policy"

    center_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("center.id"), primary_key=True, autoincrement=False
    )
    reach_parent: Mapped[bool] = mapped_column(default=False)
    recent_days: Mapped[int] = mapped_column(default=0)


class Committee(IdMixin, Base):
    """A lot's evaluation committee as drawn: the draw document's parts, kept exactly.

    The seed stays here, unpublished, until the lot is awarded; its SHA-256 went into the
    audit log before the draw ran."""

    __tablename__ = "committee"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), unique=True)
    representatives: Mapped[int] = mapped_column(default=0)  # the tenderer's, not drawn
    demand: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pool: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pool_digest: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str] = mapped_column(String(64))
    seed_sha256: Mapped[str] = mapped_column(String(64))
    drawn_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommitteeMember(IdMixin, Base):
    """A pick of the draw, in ticket order; one who declined keeps the reason and a
    replacement (the next ticket) follows."""

    __tablename__ = "committee_member"
    __table_args__ = (UniqueConstraint("committee_id", "expert_id"),)

    committee_id: Mapped[int] = mapped_column(BigId, ForeignKey("committee.id"), index=True)
    expert_id: Mapped[int] = mapped_column(BigId, ForeignKey("expert.id"), index=True)
    position: Mapped[int]
    specialty: Mapped[str] = mapped_column(String(12))
    ticket: Mapped[str] = mapped_column(String(64))
    declined_reason: Mapped[str] = mapped_column(Text, default="")
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
