"""Portal pages (HTML): lot list with filters, lot detail with timeline.

Both read through `bidding.portal.service` (Core selects of the shown columns) and their
anonymous responses are kept a few seconds by the public page cache (trading.kernel.cache),
dropped on every lot transition and announcement.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.portal import service as public
from trading.centers.service import subtree_ids
from trading.enums import Category, LotState
from trading.kernel.actor import Actor
from trading.kernel.cache import public_cache
from trading.kernel.errors import NotFound
from trading.kernel.web import page
from trading.projects import service as projects


@public_cache
@get("/", name="portal")
async def portal(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    category: str | None = None,
    lot_state: Annotated[str | None, Parameter(query="state")] = None,
    q: Annotated[str | None, Parameter(max_length=100)] = None,
    after: Annotated[int | None, Parameter(description="next page: the last lot id shown")] = None,
) -> Template:
    centers = await public.portal_centers(db_session)
    center_ids = None
    if center:
        chosen = next((c for c in centers if c.code == center), None)
        center_ids = list(await subtree_ids(db_session, chosen.id)) if chosen else []
    lots, next_after = await public.portal_lots(
        db_session,
        center_ids=center_ids,
        category=category or None,
        state=lot_state or None,
        q=q or None,
        after=after,
    )
    filters = {
        "center": center or "",
        "category": category or "",
        "state": lot_state or "",
        "q": q or "",
    }
    return page(
        request,
        "portal.html",
        lots=lots,
        centers=centers,
        categories=list(Category),
        states=[s for s in LotState if s != LotState.DRAFT],
        filters=filters,
        # Keyset paging: the next page starts after the last lot shown, with the same filters.
        next_page=(
            "/?" + urlencode({**{k: v for k, v in filters.items() if v}, "after": next_after})
            if next_after is not None
            else None
        ),
    )


@public_cache
@get("/lots/{lot_id:int}", name="lot")
async def lot_detail(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = await public.lot_view(db_session, lot_id)
    if lot is None or (lot.state == LotState.DRAFT and request.user.user_id is None):
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    if lot.state == LotState.DRAFT:
        await projects.get_lot(db_session, lot_id, request.user)  # may this actor see it?
    return page(
        request,
        "lot.html",
        lot=lot,
        history=await public.lot_history(db_session, lot.id),
        announcements=await public.lot_announcements(db_session, lot.project_id, lot.id),
        savings=public.award_savings(lot),
    )


ROUTES = [portal, lot_detail]
