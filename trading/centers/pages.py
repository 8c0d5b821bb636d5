"""Center pages (HTML): the tree of centers, each center's landing page, the statistics table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from trading.announcements.models import Announcement
from trading.centers import service as centers
from trading.centers.api import center_lots, center_stats, node_in
from trading.centers.scope import CenterScope
from trading.centers.stats import Scope, stats_report, stats_scope
from trading.enums import Category, LotState
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.cache import public_cache
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.web import page
from trading.projects.models import Lot, Project

BAR_WIDTH = 320  # px of the longest bar in the inline SVG chart


def local_in(zone_name: str) -> Callable[..., str]:
    """Format times in a center's own zone (the page default is the platform zone)."""
    zone = ZoneInfo(zone_name)

    def local(value: datetime | None, *, seconds: bool = False) -> str:
        return present.when(value, zone, seconds=seconds)

    return local


@public_cache
@get("/centers", name="centers")
async def centers_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, settings: Settings
) -> Template:
    roots = await centers.tree(db_session)
    stats = await stats_report(
        db_session,
        await stats_scope(
            db_session,
            center=None,
            scope="subtree",
            category=None,
            date_from=None,
            date_to=None,
            default_timezone=settings.timezone,
            roots=roots,
        ),
    )
    return page(request, "centers.html", roots=roots, stats=stats)


@public_cache
@get("/centers/{code:str}", name="center")
async def center_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center_scope: CenterScope,
    code: str,
    clock: Clock,
) -> Template:
    roots = await centers.tree(db_session)
    node = node_in(roots, code)
    center = node.center
    zone = ZoneInfo(center.timezone)
    now = clock.now()
    day_start = datetime.combine(now.astimezone(zone).date(), time(), zone)
    today = list(
        await db_session.scalars(
            select(Lot)
            .where(
                Lot.center_id == center.id,
                Lot.state != LotState.DRAFT,
                Lot.bid_deadline >= day_start,
                Lot.bid_deadline < day_start + timedelta(days=1),
            )
            .options(selectinload(Lot.project))
            .order_by(Lot.bid_deadline)
        )
    )
    announcements = list(
        await db_session.scalars(
            select(Announcement)
            .join(Project, Announcement.project_id == Project.id)
            .where(Project.center_id == center.id, Announcement.state == "published")
            .order_by(Announcement.published_at.desc())
            .limit(20)
        )
    )
    everyone = [n.center for root in roots for n in root.walk()]
    lots = await center_lots(db_session, center_scope, node, subtree=False, limit=50)
    return page(
        request,
        "center.html",
        node=node,
        center=center,
        ancestors=centers.ancestors(everyone, center),
        today=today,
        announcements=announcements,
        lots=lots,
        stats_self=await center_stats(db_session, center.code, "self", roots),
        stats_subtree=await center_stats(db_session, center.code, "subtree", roots),
        local=local_in(center.timezone),
        tz=center.timezone,
    )


@public_cache
@get("/stats", name="stats")
async def stats_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    settings: Settings,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    within: Annotated[Scope, Parameter(query="scope")] = "subtree",
    category: str | None = None,
    date_from: Annotated[date | None, Parameter(query="from")] = None,
    date_to: Annotated[date | None, Parameter(query="to")] = None,
) -> Template:
    roots = await centers.tree(db_session, counts=False)
    found = await stats_scope(
        db_session,
        center=center or None,
        scope=within if center else "subtree",
        category=category or None,
        date_from=date_from,
        date_to=date_to,
        default_timezone=settings.timezone,
        roots=roots,
    )
    doc = await stats_report(db_session, found)
    rows: list[dict[str, Any]] = doc["by_center"]  # type: ignore[assignment]
    return page(
        request,
        "stats.html",
        doc=doc,
        bars=bars(rows),
        centers=sorted((n.center for r in roots for n in r.walk()), key=lambda c: c.code),
        categories=list(Category),
        filters={
            "center": center or "",
            "scope": within,
            "category": category or "",
            "from": date_from.isoformat() if date_from else "",
            "to": date_to.isoformat() if date_to else "",
        },
        query=str(request.url.query or ""),
    )


def bars(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bar lengths for award totals per center, scaled to the largest (no JS, inline SVG)."""
    amounts = [Decimal(r["award_total"]) for r in rows]
    top = max(amounts, default=Decimal(0))
    return [
        {
            "label": r["name"],
            "name_en": r["name_en"],
            "amount": r["award_total"],
            "rate": r["savings_rate"],
            "width": int(amount / top * BAR_WIDTH) if top > 0 else 0,
        }
        for r, amount in zip(rows, amounts, strict=True)
    ]


ROUTES: list[Any] = [centers_page, center_page, stats_page]
