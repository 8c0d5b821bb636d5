"""Parties: organizations (by USCC) and the public keys they register."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
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
