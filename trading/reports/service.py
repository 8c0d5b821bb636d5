"""Savings figures for lots and scopes (assembly module: may use evaluation's math).

Statistics read the aggregates kept as lots move (trading.reports.tally): a report adds a few
hundred grouped rows, however many lots there are. The roll-up over centers and categories
happens on those rows, adding sums and recomputing the rate. `lot_stats_scan` computes the
same figures from the lots themselves; the dated reports use it for the part-days at their
edges, the tests and the bench to check the aggregates against.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Select, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from trading.centers.models import Center
from trading.enums import Category, LotState, PriceBasis
from trading.kernel.money import DECIMAL_CONTEXT
from trading.projects.models import Lot, Project
from trading.reports.models import LotTally, OutcomeDay, OutcomeMonth
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
        # Rates follow the rolled-up sums (what Totals.combine does, without a Totals per row),
        # never a mean of rates.
        count, reference, award = EMPTY.count, EMPTY.reference_total, EMPTY.award_total
        with localcontext(DECIMAL_CONTEXT):
            for r in rows:
                count += r.count
                reference += r.reference_total
                award += r.award_total
        return Totals(count, reference, award)

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

    def by_center(self) -> dict[int, Totals]:
        """Each center's own official totals, in one pass (a scope may hold 100+ centers)."""
        rows: dict[int, list[Row]] = {}
        for r in self._awarded():
            rows.setdefault(r.center_id, []).append(r)
        return {center_id: self._totals(mine) for center_id, mine in rows.items()}

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


def _cents_sum(amount: ColumnElement[Decimal]) -> ColumnElement[object]:
    # Whole cents as integers: SQLite keeps NUMERIC as binary floats, so a total over millions
    # of lots stays exact only this way; on PostgreSQL the numeric amounts are exact anyway.
    return _sum(cast(func.round(amount * 100), BigInteger))


def _sum(column: ColumnElement[Any]) -> ColumnElement[object]:
    # PostgreSQL sums 64-bit integers as numeric; cast back (a bucket sum fits easily), or every
    # figure crosses the wire as a decimal to parse.
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def period_bounds(
    date_from: date | None, date_to: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start of `date_from`, start of the day after `date_to`) in the zone, as UTC-aware times."""
    start = datetime.combine(date_from, time(), tz) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), tz) if date_to else None
    return start, end


# ---- where a period's figures come from ----------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A piece of a period, added (sign 1) or taken away (sign -1): the lots themselves
    (`scan`, [lo, hi) as times), whole UTC days (`day`) or whole UTC months (`month`) of the
    tallies ([lo, hi) as dates; None: open), or the undated tally (`all`)."""

    source: str
    lo: Any = None
    hi: Any = None
    sign: int = 1


# What reading a month of `outcome_month` costs, in days of `outcome_day` (it rolls up the
# methods, so a month holds about twice the buckets of a day).
MONTH_COST = 2


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _nearest_midnight(at: datetime) -> date:
    day = at.astimezone(UTC).date()
    return day + timedelta(days=1) if at - _midnight(day) > timedelta(hours=12) else day


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _signed(source: str, lo: Any, hi: Any) -> list[Part]:
    """What turns coverage from `lo` into coverage from `hi`: [lo, hi) added when lo < hi,
    [hi, lo) taken away when hi < lo."""
    if lo < hi:
        return [Part(source, lo, hi)]
    if hi < lo:
        return [Part(source, hi, lo, -1)]
    return []


def _months(first: date | None, last: date | None) -> tuple[date | None, date | None] | None:
    """The whole months to read for the days [first, last) (None: open), or None when reading
    the days alone is cheaper: each end moves to the month boundary below or above it, the
    days in between added or taken away, whichever reads least."""
    lows = [None] if first is None else [first.replace(day=1), _next_month(first)]
    highs = [None] if last is None else [last.replace(day=1), _next_month(last)]
    best: tuple[int, tuple[date | None, date | None]] | None = None
    for lo in lows:
        for hi in highs:
            if lo is not None and hi is not None and lo >= hi:
                continue
            # An open end reads every month on its side whichever bound the other end takes.
            months = (
                0 if lo is None or hi is None else (hi.year - lo.year) * 12 + hi.month - lo.month
            )
            days = (abs((lo - first).days) if lo is not None and first is not None else 0) + (
                abs((last - hi).days) if hi is not None and last is not None else 0
            )
            cost = months * MONTH_COST + days
            if best is None or cost < best[0]:
                best = (cost, (lo, hi))
    if best is None or (first is not None and last is not None and (last - first).days <= best[0]):
        return None
    return best[1]


def plan(start: datetime | None, end: datetime | None) -> list[Part]:
    """Parts whose signed sum is exactly [start, end), whatever the zone it was drawn in.

    The tallies count whole UTC days and months: each edge moves to the nearest UTC midnight
    and the lots of the hours in between (at most 12) are read and added or taken away; the
    days then come from the months around them, corrected by a few days, when that reads less.
    A period of a day or less reads the lots alone.
    """
    if start is None and end is None:
        return [Part("all")]
    if start is not None and end is not None:
        if start >= end:
            return []
        if end - start <= timedelta(days=1):
            return [Part("scan", start, end)]
    parts: list[Part] = []
    first = last = None  # [first, last): the UTC days the tallies are read for
    if start is not None:
        first = _nearest_midnight(start)
        parts += _signed("scan", start, _midnight(first))
    if end is not None:
        last = _nearest_midnight(end)
        parts += _signed("scan", _midnight(last), end)
    months = _months(first, last)
    if months is None:
        return [*parts, Part("day", first, last)]
    lo, hi = months
    parts.append(Part("month", lo, hi))
    if first is not None and lo is not None:
        parts += _signed("day", first, lo)
    if last is not None and hi is not None:
        parts += _signed("day", hi, last)
    return parts


def _scan(
    center_ids: set[int] | None, category: str | None, start: datetime | None, end: datetime | None
) -> Select[Any]:
    stmt = (
        select(
            Project.center_id,
            Project.category,
            Project.sandbox,
            Lot.state,
            func.count(Lot.id),
            _cents_sum(reference_expr()),
            _cents_sum(func.coalesce(Lot.award_price, 0)),
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
    return stmt


def _tallied(part: Part, center_ids: set[int] | None, category: str | None) -> Select[Any]:
    table = {"all": LotTally, "day": OutcomeDay, "month": OutcomeMonth}[part.source]
    stmt = select(
        table.center_id,
        table.category,
        table.sandbox,
        table.state,
        _sum(table.lots),
        _sum(table.reference_cents),
        _sum(table.award_cents),
    ).group_by(table.center_id, table.category, table.sandbox, table.state)
    if table is LotTally:  # it counts lots in progress too
        stmt = stmt.where(table.state.in_([s.value for s in OUTCOMES]))
    else:
        period = OutcomeDay.day if table is OutcomeDay else OutcomeMonth.month
        if part.lo is not None:
            stmt = stmt.where(period >= part.lo)
        if part.hi is not None:
            stmt = stmt.where(period < part.hi)
    if center_ids is not None:
        stmt = stmt.where(table.center_id.in_(sorted(center_ids)))
    if category:
        stmt = stmt.where(table.category == category)
    return stmt


def _amount(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2).quantize(CENT)


async def _stats(session: AsyncSession, statements: Iterable[tuple[Select[Any], int]]) -> Stats:
    """Add (or, with sign -1, take away) the grouped rows of several statements into one row
    per (center, category, sandbox, state); empty buckets are dropped."""
    sums: dict[tuple[int, str, bool, str], tuple[int, int, int]] = {}
    for stmt, sign in statements:
        for center_id, cat, sandbox, state, count, ref, award in await session.execute(stmt):
            key = (int(center_id), str(cat), bool(sandbox), str(state))
            n, r, a = sums.get(key, (0, 0, 0))
            sums[key] = (n + sign * int(count), r + sign * int(ref), a + sign * int(award))
    return Stats(
        [
            Row(center_id, cat, sandbox, state, n, _amount(r), _amount(a))
            for (center_id, cat, sandbox, state), (n, r, a) in sums.items()
            if n
        ]
    )


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
    return await _stats(
        session,
        (
            (
                _scan(center_ids, category, p.lo, p.hi)
                if p.source == "scan"
                else _tallied(p, center_ids, category),
                p.sign,
            )
            for p in plan(start, end)
        ),
    )


async def lot_stats_scan(
    session: AsyncSession,
    *,
    center_ids: set[int] | None = None,
    category: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Stats:
    """The same figures as `lot_stats`, computed from every lot in scope (no aggregate)."""
    return await _stats(session, [(_scan(center_ids, category, start, end), 1)])


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
    per_center = stats.by_center()
    by_center = [
        {"code": c.code, "name": c.name, "name_en": c.name_en, "level": c.level}
        | totals_out(per_center.get(c.id, EMPTY))
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
