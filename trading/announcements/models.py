"""Announcements: the public records a lot's lifecycle produces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class Announcement(IdMixin, Base):
    """A public notice (tender, amendment, failure, candidates, result, award)."""

    __tablename__ = "announcement"

    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("project.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digests: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
