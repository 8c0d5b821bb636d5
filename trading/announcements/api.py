"""Announcements and award letters, JSON: read one announcement, publish a draft, a bidder's
letters and their PDFs."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements import letters, service
from trading.announcements.models import Announcement, AwardLetter
from trading.announcements.schemas import AnnouncementOut, AttachmentOut, LetterOut
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.web import requires


def announcement_out(row: Announcement) -> AnnouncementOut:
    return AnnouncementOut(
        id=row.id,
        project_id=row.project_id,
        lot_id=row.lot_id,
        kind=row.kind,
        title=row.title,
        state=row.state,
        published_at=row.published_at,
        created_at=row.created_at,
        reason=row.reason or row.body,
        citation=row.citation,
        ends_at=row.ends_at,
        html=row.html,
        sha256=row.sha256,
        attachments=[
            AttachmentOut(
                name=str(a.get("name", "")),
                sha256=str(a.get("sha256", "")),
                size=a.get("size"),
                href=a.get("href"),
            )
            for a in row.attachments
        ],
        url=f"/announcements/{row.id}",
    )


def letter_out(letter: AwardLetter) -> LetterOut:
    return LetterOut(
        id=letter.id,
        lot_id=letter.lot_id,
        announcement_id=letter.announcement_id,
        kind=letter.kind,
        title=letter.title,
        sha256=letter.sha256,
        size=letter.size,
        created_at=letter.created_at,
        href=f"/api/v1/letters/{letter.id}/letter.pdf",
    )


class AnnouncementApi(Controller):
    path = "/api/v1"
    tags = ["announcements"]  # noqa: RUF012

    @get("/announcements/{announcement_id:int}")
    async def detail(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, announcement_id: int
    ) -> AnnouncementOut:
        """One announcement: its document, reason, citation and attachments by digest.
        Drafts and sandbox projects' announcements are 404 to the public."""
        row, _project = await service.visible(db_session, announcement_id, request.user)
        return announcement_out(row)

    @post(
        "/announcements/{announcement_id:int}/publish",
        guards=[requires(Role.STAFF)],
        status_code=200,
    )
    async def publish(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        announcement_id: int,
        clock: Clock,
    ) -> AnnouncementOut:
        """Publish a draft (the center's staff); publishing a published one changes nothing."""
        row = await service.publish(db_session, announcement_id, request.user, now=clock.now())
        return announcement_out(row)

    @get("/me/letters", guards=[requires(Role.BIDDER)])
    async def my_letters(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession
    ) -> list[LetterOut]:
        """The signed-in bidder's award letters (中标通知书 / 中标结果通知书)."""
        return [letter_out(x) for x in await letters.letters_of(db_session, request.user)]

    @get("/letters/{letter_id:int}/letter.pdf", media_type="application/pdf")
    async def letter_pdf(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, letter_id: int
    ) -> Response[bytes]:
        """A letter's PDF, for its addressee only (anyone else: 404)."""
        letter = await letters.letter_for(db_session, letter_id, request.user)
        pdf = await asyncio.to_thread(letters.letter_pdf, letter)  # reportlab is CPU-bound
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="letter-{letter.id}.pdf"',
                "X-Content-SHA256": letter.sha256,
            },
        )


ROUTES = [AnnouncementApi]
