"""Accounts, web sessions, API tokens and the sign-in throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class User(IdMixin, Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The company the user acts for: set only by an approved claim or an accepted invitation
    # (trading/parties/claims.py, company.py), cleared when the company removes the user.
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organization.id"))
    # The company's administrator (its approved claimant): invites and removes its users.
    org_admin: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    # Staff and supervisors act within a center (supervisors: its whole subtree).
    center_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("center.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """Server-side session; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(IdMixin, Base):
    __tablename__ = "api_token"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInThrottle(Base):
    """Failed sign-ins of one username from one client address, in the current window.

    Keyed by (username, address) so that failures from one address never lock the account's
    owner out at another; the row with username "" counts the address across all usernames.
    A window lasts until `login_window_seconds` pass without a failure; when it closes, one
    audit entry summarises it. Rows live in the database so every worker process shares them.
    """

    __tablename__ = "sign_in_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Attempts admitted in this window (reserved before the password is checked; a success
    # removes its own), and attempts refused while locked.
    failures: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
