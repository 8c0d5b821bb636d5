"""The public page of one announcement: its document as published, reason, citation,
attachments with digests. Drafts and sandbox projects' announcements are 404 to the public;
the center's staff see drafts and publish them here."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

import trading.announcements.messages  # noqa: F401  (registers the package's strings)
from trading.announcements import service
from trading.announcements.models import AnnouncementState
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.cache import public_cache
from trading.kernel.clock import Clock
from trading.kernel.web import check_csrf, page, requires

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


@public_cache
@get("/announcements/{announcement_id:int}", name="announcement")
async def announcement_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, announcement_id: int
) -> Template:
    row, project = await service.visible(db_session, announcement_id, request.user)
    return page(
        request,
        "announcements/detail.html",
        a=row,
        project=project,
        # Rendered by the builders from autoescaped templates when the record was made.
        document=Markup(row.html),
        draft=row.state == AnnouncementState.DRAFT,
        may_publish=row.state == AnnouncementState.DRAFT
        and service.may_publish(request.user, project),
    )


@post(
    "/announcements/{announcement_id:int}/publish",
    guards=[requires(Role.STAFF)],
    status_code=303,
)
async def publish_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    announcement_id: int,
    data: FormData,
    clock: Clock,
) -> Redirect:
    check_csrf(request, data)
    await service.publish(db_session, announcement_id, request.user, now=clock.now())
    return Redirect(f"/announcements/{announcement_id}", status_code=303)


ROUTES = [announcement_page, publish_page]
