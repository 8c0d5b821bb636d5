"""Center JSON API: the tree, a center's page data, its lots, its audit log, statistics.

Supervisors' reads of bid metadata are bidding's (bidding.submission.api.SupervisionApi).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from trading.audit.models import AuditEntry
from trading.centers import service as centers
from trading.centers.schemas import (
    AuditRowOut,
    CenterDetailOut,
    CenterLotOut,
    CenterOut,
)
from trading.centers.scope import CenterScope, Material, may_see, require
from trading.centers.stats import Scope, stats_report, stats_scope
from trading.enums import LotState
from trading.kernel.cache import public_cache
from trading.kernel.config import Settings
from trading.kernel.errors import NotFound
from trading.projects.models import Lot, Project


def center_out(node: centers.CenterNode, parent: str | None) -> CenterOut:
    c = node.center
    return CenterOut(
        code=c.code,
        name=c.name,
        name_en=c.name_en,
        level=c.level,
        parent=parent,
        timezone=c.timezone,
        lots=node.published,
        lots_subtree=node.published_subtree,
        awarded=node.awarded,
        awarded_subtree=node.awarded_subtree,
    )


def flatten(roots: list[centers.CenterNode]) -> list[CenterOut]:
    out: list[CenterOut] = []

    def visit(node: centers.CenterNode, parent: str | None) -> None:
        out.append(center_out(node, parent))
        for child in node.children:
            visit(child, node.center.code)

    for root in roots:
        visit(root, None)
    return out


def node_in(roots: list[centers.CenterNode], code: str) -> centers.CenterNode:
    code = centers.division(code, "code")
    node = centers.find(roots, code)
    if node is None:
        raise NotFound(f"没有代码为 {code} 的交易中心 / no trading center with code {code}")
    return node


async def node_for(session: AsyncSession, code: str) -> centers.CenterNode:
    return node_in(await centers.tree(session), code)


async def center_stats(
    session: AsyncSession,
    code: str,
    scope: Scope,
    roots: list[centers.CenterNode] | None = None,
) -> dict[str, Any]:
    found = await stats_scope(
        session,
        center=code,
        scope=scope,
        category=None,
        date_from=None,
        date_to=None,
        default_timezone="Asia/Shanghai",
        roots=roots,
    )
    return await stats_report(session, found)


async def center_lots(
    session: AsyncSession,
    scope: CenterScope,
    node: centers.CenterNode,
    *,
    subtree: bool,
    state: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Lot]:
    """Published lots of the center (or its subtree), plus the drafts of those whose
    unpublished work is in scope."""
    ids = {n.center.id for n in (node.walk() if subtree else [node])}
    drafts_of = {cid for cid in ids if may_see(scope, cid, Material.UNPUBLISHED)}
    visible = Lot.state != LotState.DRAFT
    if drafts_of:
        visible = visible | Lot.center_id.in_(sorted(drafts_of))
    stmt = (
        select(Lot)
        .where(Lot.center_id.in_(sorted(ids)), visible)
        .options(selectinload(Lot.project).selectinload(Project.center))
        .order_by(Lot.bid_deadline.desc(), Lot.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if state:
        stmt = stmt.where(Lot.state == state)
    return list(await session.scalars(stmt))


def lot_row(lot: Lot) -> CenterLotOut:
    return CenterLotOut(
        id=lot.id,
        project_id=lot.project_id,
        project_code=lot.project.code,
        project_title=lot.project.title,
        center=lot.project.center.code,
        category=lot.project.category,
        title=lot.title,
        state=lot.state,
        sandbox=lot.project.sandbox,
        bid_deadline=lot.bid_deadline,
    )


class CenterApi(Controller):
    path = "/api/v1/centers"
    tags = ["centers"]  # noqa: RUF012

    @get("/")
    async def list_centers(self, db_session: AsyncSession) -> list[CenterOut]:
        """Every center in tree order (parents before children) with its lot counts."""
        return flatten(await centers.tree(db_session))

    @get("/{code:str}")
    async def detail(self, db_session: AsyncSession, code: str) -> CenterDetailOut:
        node = await node_for(db_session, code)
        everyone = await centers.all_centers(db_session)
        chain = centers.ancestors(everyone, node.center)
        return CenterDetailOut(
            center=center_out(node, chain[-1].code if chain else None),
            ancestors=[c.code for c in chain],
            children=[center_out(child, node.center.code) for child in node.children],
            rule_overrides=dict(node.center.rule_overrides or {}),
            stats_self=await center_stats(db_session, node.center.code, "self"),
            stats_subtree=await center_stats(db_session, node.center.code, "subtree"),
        )

    @get("/{code:str}/lots")
    async def lots(
        self,
        db_session: AsyncSession,
        center_scope: CenterScope,
        code: str,
        within: Annotated[Scope, Parameter(query="scope")] = "self",
        lot_state: Annotated[LotState | None, Parameter(query="state")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 200,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> list[CenterLotOut]:
        """The center's lots: published ones for everybody; drafts for its own staff and for
        supervisors above it."""
        node = await node_for(db_session, code)
        lots = await center_lots(
            db_session,
            center_scope,
            node,
            subtree=within == "subtree",
            state=lot_state.value if lot_state else None,
            limit=limit,
            offset=offset,
        )
        return [lot_row(lot) for lot in lots]

    @get("/{code:str}/audit")
    async def audit(
        self,
        db_session: AsyncSession,
        center_scope: CenterScope,
        code: str,
        within: Annotated[Scope, Parameter(query="scope")] = "subtree",
        start: Annotated[int, Parameter(ge=1)] = 1,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[AuditRowOut]:
        """Audit entries recorded for the center (and below), for supervisors over it."""
        node = await node_for(db_session, code)
        require(center_scope, node.center, Material.SUPERVISION)
        nodes = node.walk() if within == "subtree" else [node]
        # A subtree of a supervised center is supervised; filtered anyway, so no row of a
        # center out of scope can ever be listed.
        codes = {
            n.center.id: n.center.code
            for n in nodes
            if may_see(center_scope, n.center.id, Material.SUPERVISION)
        }
        rows = await db_session.scalars(
            select(AuditEntry)
            .where(AuditEntry.center_id.in_(sorted(codes)), AuditEntry.seq >= start)
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
        return [
            AuditRowOut(
                seq=e.seq,
                at=e.at,
                center=codes.get(e.center_id or 0),
                action=e.action,
                actor=e.actor,
                target=f"{e.target_type}:{e.target_id}",
                body=e.body,
                entry_hash=e.entry_hash,
            )
            for e in rows
        ]


class StatsApi(Controller):
    path = "/api/v1"
    tags = ["statistics"]  # noqa: RUF012

    @public_cache
    @get("/stats")
    async def stats(
        self,
        db_session: AsyncSession,
        settings: Settings,
        center: Annotated[str | None, Parameter(pattern=r"^\d{6}$")] = None,
        within: Annotated[Scope, Parameter(query="scope")] = "subtree",
        category: str | None = None,
        date_from: Annotated[date | None, Parameter(query="from")] = None,
        date_to: Annotated[date | None, Parameter(query="to")] = None,
    ) -> dict[str, Any]:
        """Savings statistics of awarded lots (amounts as strings, rates in percent, 2 dp
        half-up, recomputed from the rolled-up totals); failed, cancelled and sandbox lots
        are reported apart."""
        found = await stats_scope(
            db_session,
            center=center,
            scope=within,
            category=category or None,
            date_from=date_from,
            date_to=date_to,
            default_timezone=settings.timezone,
        )
        return await stats_report(db_session, found)

    @get("/stats.csv", media_type="text/csv; charset=utf-8")
    async def stats_csv(
        self,
        db_session: AsyncSession,
        settings: Settings,
        center: Annotated[str | None, Parameter(pattern=r"^\d{6}$")] = None,
        within: Annotated[Scope, Parameter(query="scope")] = "subtree",
        category: str | None = None,
        date_from: Annotated[date | None, Parameter(query="from")] = None,
        date_to: Annotated[date | None, Parameter(query="to")] = None,
    ) -> Response[str]:
        """The same figures as /api/v1/stats, one row per figure (UTF-8 with BOM)."""
        from trading.reports.service import report_csv

        found = await stats_scope(
            db_session,
            center=center,
            scope=within,
            category=category or None,
            date_from=date_from,
            date_to=date_to,
            default_timezone=settings.timezone,
        )
        name = f"bidhall-stats-{center or 'all'}-{within}.csv"
        return Response(
            report_csv(await stats_report(db_session, found)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )


ROUTES: list[Any] = [CenterApi, StatsApi]
