"""Savings figures for lots and scopes (assembly module: may use evaluation's math).

Statistics are aggregate SQL (one GROUP BY over lot ⋈ project, filtered on the indexed
lot state and project center) so they stay fast at scale; the roll-up over centers and
categories happens on the few grouped rows, adding sums and recomputing the rate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from trading.centers.models import Center
from trading.enums import Category, LotState, PriceBasis
from trading.kernel.db import is_sqlite
from trading.projects.models import Lot, Project
from trading.reports.savings import Totals, savings, savings_rate

CENT = Decimal("0.01")
OUTCOMES = (LotState.AWARDED, LotState.FAILED, LotState.CANCELLED)


def lot_savings(lot: Lot) -> tuple[Decimal, Decimal | None] | None:
    """(savings amount, savings rate %) for an awarded lot, else None."""
    if lot.state != LotState.AWARDED or lot.award_price is None:
        return None
    pair = (lot.reference_price, lot.award_price)
    return savings(*pair), savings_rate([pair])


async def savings_totals(
    session: AsyncSession, center_ids: set[int] | None = None, *, sandbox: bool = False
) -> Totals:
    """Totals over awarded lots in scope; sandbox lots are kept apart from official figures."""
    stats = await lot_stats(session, center_ids=center_ids)
    return stats.sandbox if sandbox else stats.total


# ---- roll-up statistics --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Lots that ended without an award (failed, cancelled): counted apart, never in rates."""

    count: int = 0
    reference_total: Decimal = Decimal("0.00")

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(self.count + other.count, self.reference_total + other.reference_total)

    def to_dict(self) -> dict[str, object]:
        return {"count": self.count, "reference_total": format(self.reference_total, "f")}


EMPTY = Totals(0, Decimal("0.00"), Decimal("0.00"))


@dataclass(frozen=True)
class Row:
    """One grouped row: a center, a category, sandbox or not, an outcome."""

    center_id: int
    category: str
    sandbox: bool
    state: str
    count: int
    reference_total: Decimal
    award_total: Decimal


@dataclass
class Stats:
    """Official figures (awarded, not sandbox) by scope, category and center; the rest apart."""

    rows: list[Row] = field(default_factory=list)

    def _awarded(self, *, sandbox: bool = False) -> Iterable[Row]:
        return (r for r in self.rows if r.state == LotState.AWARDED and r.sandbox is sandbox)

    @staticmethod
    def _totals(rows: Iterable[Row]) -> Totals:
        # Rates follow the rolled-up sums (Totals.combine), never a mean of rates.
        return Totals.combine(
            EMPTY, *(Totals(r.count, r.reference_total, r.award_total) for r in rows)
        )

    @property
    def total(self) -> Totals:
        return self._totals(self._awarded())

    @property
    def sandbox(self) -> Totals:
        return self._totals(self._awarded(sandbox=True))

    def by_category(self) -> dict[str, Totals]:
        return {
            c.value: self._totals(r for r in self._awarded() if r.category == c.value)
            for c in Category
            if any(r.category == c.value for r in self._awarded())
        }

    def for_centers(self, center_ids: set[int]) -> Totals:
        return self._totals(r for r in self._awarded() if r.center_id in center_ids)

    def outcome(self, state: LotState) -> Outcome:
        # Sandbox lots never enter official figures, failed or not.
        total = Outcome()
        for r in self.rows:
            if r.state == state and not r.sandbox:
                total = total + Outcome(r.count, r.reference_total)
        return total


def reference_expr() -> ColumnElement[Decimal]:
    """The amount savings are measured against, as Lot.reference_price computes it."""
    return case(
        (
            and_(Lot.price_basis == PriceBasis.CONTROL_PRICE, Lot.control_price.is_not(None)),
            Lot.control_price,
        ),
        else_=Lot.budget,
    )


def _sum(session: AsyncSession, amount: ColumnElement[Decimal]) -> ColumnElement[object]:
    # SQLite keeps NUMERIC as binary floats: sum whole cents as integers there, so a total
    # over millions of lots stays exact. PostgreSQL sums numeric exactly as it is.
    if is_sqlite(session):
        return func.coalesce(func.sum(cast(func.round(amount * 100), Integer)), 0)
    return func.coalesce(func.sum(amount), 0)


def _amount(session: AsyncSession, value: object) -> Decimal:
    if is_sqlite(session):
        return (Decimal(int(value)) / 100).quantize(CENT)  # type: ignore[call-overload]
    return Decimal(value).quantize(CENT)  # type: ignore[arg-type]


def period_bounds(
    date_from: date | None, date_to: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start of `date_from`, start of the day after `date_to`) in the zone, as UTC-aware times."""
    start = datetime.combine(date_from, time(), tz) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), tz) if date_to else None
    return start, end


async def lot_stats(
    session: AsyncSession,
    *,
    center_ids: set[int] | None = None,
    category: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Stats:
    """Grouped outcomes of lots in scope, by center, category, sandbox and final state.

    The period filters on the time the lot reached its final state: for an awarded lot that
    is the award (awarded, failed and cancelled are terminal, so it never moves again).
    """
    reference = reference_expr()
    stmt = (
        select(
            Project.center_id,
            Project.category,
            Project.sandbox,
            Lot.state,
            func.count(Lot.id),
            _sum(session, reference),
            _sum(session, func.coalesce(Lot.award_price, 0)),
        )
        .join(Project, Lot.project_id == Project.id)
        .where(Lot.state.in_([s.value for s in OUTCOMES]))
        .group_by(Project.center_id, Project.category, Project.sandbox, Lot.state)
    )
    if center_ids is not None:
        stmt = stmt.where(Project.center_id.in_(sorted(center_ids)))
    if category:
        stmt = stmt.where(Project.category == category)
    if start is not None:
        stmt = stmt.where(Lot.state_changed_at >= start)
    if end is not None:
        stmt = stmt.where(Lot.state_changed_at < end)
    rows = (await session.execute(stmt)).all()
    return Stats(
        [
            Row(
                center_id=center_id,
                category=str(cat),
                sandbox=bool(sandbox),
                state=str(state),
                count=int(count),
                reference_total=_amount(session, ref),
                award_total=_amount(session, award),
            )
            for center_id, cat, sandbox, state, count, ref, award in rows
        ]
    )


# ---- the report the API, the page and the CSV share ----------------------------------------------


def totals_out(totals: Totals) -> dict[str, object]:
    out = totals.to_dict()
    return {
        "count": out["count"],
        "reference_total": out["reference_total"],
        "award_total": out["award_total"],
        "savings_total": format(totals.savings_total.quantize(CENT), "f"),
        "savings_rate": out["rate"],
    }


@dataclass(frozen=True)
class ReportScope:
    center: Center | None
    scope: str  # "self" | "subtree"
    center_ids: set[int] | None
    centers: list[Center]  # centers in scope, tree order
    category: str | None
    date_from: date | None
    date_to: date | None
    timezone: str


async def report(session: AsyncSession, scope: ReportScope) -> dict[str, object]:
    """The statistics document: totals, by category, by center, and what is kept apart."""
    start, end = period_bounds(scope.date_from, scope.date_to, ZoneInfo(scope.timezone))
    stats = await lot_stats(
        session, center_ids=scope.center_ids, category=scope.category, start=start, end=end
    )
    by_center = [
        {"code": c.code, "name": c.name, "name_en": c.name_en, "level": c.level}
        | totals_out(stats.for_centers({c.id}))
        for c in scope.centers
    ]
    return {
        "center": scope.center.code if scope.center else None,
        "scope": scope.scope,
        "category": scope.category,
        "from": scope.date_from.isoformat() if scope.date_from else None,
        "to": scope.date_to.isoformat() if scope.date_to else None,
        "timezone": scope.timezone,
        "total": totals_out(stats.total),
        "by_category": [{"category": k} | totals_out(v) for k, v in stats.by_category().items()],
        "by_center": by_center,
        "failed": stats.outcome(LotState.FAILED).to_dict(),
        "cancelled": stats.outcome(LotState.CANCELLED).to_dict(),
        "sandbox": totals_out(stats.sandbox),
    }


CSV_COLUMNS = [
    "section",
    "center",
    "category",
    "count",
    "reference_total",
    "award_total",
    "savings_total",
    "savings_rate",
]


def report_csv(doc: dict[str, object]) -> str:
    """One row per figure of the report, the same strings as the JSON (UTF-8 with BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    scope_code = doc["center"] or ""
    writer.writerow({"section": "total", "center": scope_code, **doc["total"]})  # type: ignore[dict-item]
    for row in doc["by_category"]:  # type: ignore[attr-defined]
        writer.writerow({"section": "category", "center": scope_code, **row})
    for row in doc["by_center"]:  # type: ignore[attr-defined]
        writer.writerow({"section": "center", "center": row["code"], **row})
    for section in ("failed", "cancelled"):
        writer.writerow({"section": section, "center": scope_code, **doc[section]})  # type: ignore[dict-item]
    writer.writerow({"section": "sandbox", "center": scope_code, **doc["sandbox"]})  # type: ignore[dict-item]
    return "\ufeff" + buffer.getvalue()
