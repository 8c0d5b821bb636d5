"""Statistics queries as the API, the pages and the CSV ask them: validate, scope, report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from trading.centers.service import CenterNode, division, tree
from trading.enums import Category
from trading.kernel.errors import NotFound, ValidationFailed
from trading.reports.service import ReportScope, report

Scope = Literal["self", "subtree"]


async def stats_scope(
    session: AsyncSession,
    *,
    center: str | None,
    scope: Scope,
    category: str | None,
    date_from: date | None,
    date_to: date | None,
    default_timezone: str,
    roots: list[CenterNode] | None = None,
) -> ReportScope:
    """The scope of a statistics request; bad combinations are a 422 that names the field.

    The scope's centers come from the tree (`roots` when the caller has it already): one
    small read of the centers, never of their lots."""
    if category is not None and category not in {c.value for c in Category}:
        raise ValidationFailed(
            f"category: 未知的项目类别 {category!r} / unknown category; "
            f"one of {', '.join(c.value for c in Category)}"
        )
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed("from: 起始日期晚于截止日期 / 'from' is after 'to'")
    if roots is None:
        roots = await tree(session, counts=False)
    if center is None:
        if scope == "self":
            raise ValidationFailed("scope: scope=self 需要指定 center / scope=self needs a center")
        nodes = [n for root in roots for n in root.walk()]
        centers = [n.center for n in nodes]
        return ReportScope(
            None, scope, None, centers, category, date_from, date_to, default_timezone
        )
    code = division(center, "center")
    node = next((n for root in roots for n in root.walk() if n.center.code == code), None)
    if node is None:
        raise NotFound(f"没有代码为 {code} 的交易中心 / no trading center with code {code}")
    nodes = node.walk() if scope == "subtree" else [node]
    # Dates of award are read in the center's own zone.
    return ReportScope(
        node.center,
        scope,
        {n.center.id for n in nodes},
        [n.center for n in nodes],
        category,
        date_from,
        date_to,
        node.center.timezone,
    )


async def stats_report(session: AsyncSession, scope: ReportScope) -> dict[str, object]:
    return await report(session, scope)
