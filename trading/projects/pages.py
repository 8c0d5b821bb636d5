"""Portal pages (HTML): lot list with filters, lot detail with timeline."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements import service as announcement_service
from trading.audit import service as audit
from trading.audit.api import PUBLIC_LOT_ACTIONS
from trading.centers.models import Center
from trading.centers.service import subtree_ids
from trading.enums import Category, LotState
from trading.kernel.actor import Actor
from trading.kernel.web import page
from trading.projects import service as projects
from trading.reports.service import lot_savings


@get("/", name="portal")
async def portal(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    category: str | None = None,
    lot_state: Annotated[str | None, Parameter(query="state")] = None,
    q: Annotated[str | None, Parameter(max_length=100)] = None,
) -> Template:
    centers = list(await db_session.scalars(select(Center).order_by(Center.code)))
    center_ids = None
    if center:
        chosen = next((c for c in centers if c.code == center), None)
        center_ids = list(await subtree_ids(db_session, chosen.id)) if chosen else []
    lots = await projects.list_lots(
        db_session,
        center_ids=center_ids,
        category=category or None,
        state=lot_state or None,
        q=q or None,
    )
    return page(
        request,
        "portal.html",
        lots=lots,
        centers=centers,
        categories=list(Category),
        states=[s for s in LotState if s != LotState.DRAFT],
        filters={
            "center": center or "",
            "category": category or "",
            "state": lot_state or "",
            "q": q or "",
        },
    )


@get("/lots/{lot_id:int}", name="lot")
async def lot_detail(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = await projects.get_lot(db_session, lot_id, request.user)
    entries = await audit.for_target(db_session, "lot", lot.id)
    history = [e for e in entries if e.action in PUBLIC_LOT_ACTIONS]
    announcements = [
        a
        for a in await announcement_service.announcements_for(db_session, lot.project_id)
        if a.lot_id in (None, lot.id)
    ]
    return page(
        request,
        "lot.html",
        lot=lot,
        project=lot.project,
        history=history,
        announcements=announcements,
        savings=lot_savings(lot),
    )


ROUTES = [portal, lot_detail]
