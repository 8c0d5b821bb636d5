"""Announcements: the public records a lot's lifecycle produces, and the award letters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class AnnouncementKind(StrEnum):
    """What an announcement announces; the value is what `announcement.kind` stores.

    Templates look each one up as the i18n key ``ann.<value>``; its body is rendered from
    ``templates/announcements/<value>.html``.
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
    """A public notice; made by `trading.announcements.builders.issue` from the lot's data.

    `html` is the rendered document (fixed once made: a record, not a view of today's data),
    `sha256` its digest (also in the audit entry that publishes it), `facts` what it was
    rendered from, `attachments` the documents it concerns by digest.
    """

    __tablename__ = "announcement"
    __table_args__ = (
        # The portal's channels: published, of a kind, newest first (bidding/portal/service.py).
        Index("ix_announcement_channel", "state", "kind", "published_at", "id"),
        Index("ix_announcement_published", "state", "published_at", "id"),
    )

    project_id: Mapped[int] = mapped_column(BigId, ForeignKey("project.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # an AnnouncementKind value
    title: Mapped[str] = mapped_column(String(300))
    # Plain text: the reason or summary that lists show.
    body: Mapped[str] = mapped_column(Text, default="")
    # an AnnouncementState value
    state: Mapped[str] = mapped_column(String(16), default=AnnouncementState.DRAFT.value)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digests: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    html: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    citation: Mapped[str] = mapped_column(String(300), default="")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"name", "sha256", "size", "href"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The end of a period the announcement opens (the candidates publicity, 条例 54).
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LetterKind(StrEnum):
    AWARD = "award"  # 中标通知书, to the winner (法 45)
    RESULT = "result"  # 中标结果通知书, to every other bidder (法 45)


class AwardLetter(IdMixin, Base):
    """One bidder's letter of an award: the facts it states and the digest of its PDF.

    The PDF renders deterministically from `facts` (reportlab's invariant mode), so the
    digest recorded at the award is the digest of what the bidder downloads later.
    """

    __tablename__ = "award_letter"
    __table_args__ = (
        UniqueConstraint("lot_id", "bidder_org_id"),
        Index("ix_award_letter_org_created", "bidder_org_id", "created_at"),
    )

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"))
    announcement_id: Mapped[int] = mapped_column(BigId, ForeignKey("announcement.id"))
    bidder_org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organization.id"))
    kind: Mapped[str] = mapped_column(String(16))  # a LetterKind value
    title: Mapped[str] = mapped_column(String(300))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Empty when no CJK font was available at the award: the PDF is refused (503) until one is.
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(BigId, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
