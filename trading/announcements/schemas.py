"""Announcement and award-letter shapes of the JSON API."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AttachmentOut(msgspec.Struct):
    name: str
    sha256: str
    size: int | None = None
    href: str | None = None


class AnnouncementOut(msgspec.Struct):
    id: int
    project_id: int
    lot_id: int | None
    kind: str
    title: str
    state: str
    published_at: datetime | None
    created_at: datetime
    reason: str
    citation: str
    ends_at: datetime | None
    html: str
    sha256: str
    attachments: list[AttachmentOut]
    url: str


class LetterOut(msgspec.Struct):
    id: int
    lot_id: int
    announcement_id: int
    kind: str
    title: str
    sha256: str
    size: int
    created_at: datetime
    href: str
