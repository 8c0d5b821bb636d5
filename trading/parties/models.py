"""Parties: organizations (by USCC) and the public keys they register."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class Organization(IdMixin, Base):
    """A legal person identified by its unified social credit code (统一社会信用代码)."""

    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    sme: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartyKey(IdMixin, Base):
    """A party's public keys, certified by the platform; private keys never reach the server."""

    __tablename__ = "party_key"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"), index=True)
    sign_pub: Mapped[str] = mapped_column(String(128))
    enc_pub: Mapped[str] = mapped_column(String(128))
    certificate: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LotSecrecy(Base):
    """A lot's bidder salt: secret until the opening record reveals it (see secrecy.py)."""

    __tablename__ = "lot_secrecy"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


class ClaimState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class OrgClaim(IdMixin, Base):
    """A person's claim to act for a company (by USCC), with its business licence; pending
    until the chosen center's staff decide. Many pending claims of one USCC may coexist (a
    squatter's never blocks the real company's); at most one is ever approved."""

    __tablename__ = "org_claim"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state"),
        # The second of two racing approvals of one USCC fails here (and on organization.uscc).
        Index(
            "uq_org_claim_approved_uscc",
            "uscc",
            unique=True,
            sqlite_where=text("state = 'approved'"),
            postgresql_where=text("state = 'approved'"),
        ),
        # One open claim per person at a time.
        Index(
            "uq_org_claim_pending_user",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_org_claim_center_state", "center_id", "state"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    center_id: Mapped[int] = mapped_column(BigId, ForeignKey("center.id"))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    org_name: Mapped[str] = mapped_column(String(200))
    sme: Mapped[bool] = mapped_column(default=False)
    licence_sha256: Mapped[str] = mapped_column(String(64))
    licence_name: Mapped[str] = mapped_column(String(200))
    licence_type: Mapped[str] = mapped_column(String(40))
    licence_size: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default=ClaimState.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organization.id"))


class OrgInvitation(IdMixin, Base):
    """A company administrator's invitation: a single-use code (only its SHA-256 stored) that
    lets one person sign up as a user of the company until it expires."""

    __tablename__ = "org_invitation"

    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
