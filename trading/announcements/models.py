"""Announcements: the public records a lot's lifecycle produces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class AnnouncementKind(StrEnum):
    """What an announcement announces; the value is what `announcement.kind` stores.

    Templates look each one up as the i18n key ``ann.<value>``.
    """

    TENDER = "tender"  # 招标公告
    AMENDMENT = "amendment"  # 变更/澄清公告
    CANDIDATES = "candidates"  # 中标候选人公示
    RESULT = "result"  # 中标结果公告
    FAILURE = "failure"  # 流标公告
    TERMINATION = "termination"  # 终止公告


class AnnouncementState(StrEnum):
    """Only published announcements are public; published ⇔ `published_at` is set."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Announcement(IdMixin, Base):
    """A public notice; build one with `trading.announcements.service.announce`."""

    __tablename__ = "announcement"

    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("project.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # an AnnouncementKind value
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # an AnnouncementState value
    state: Mapped[str] = mapped_column(String(16), default=AnnouncementState.DRAFT.value)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digests: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
