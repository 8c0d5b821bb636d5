"""Keeping the statistics aggregates (trading.reports.models) exact as lots move.

`moved` runs inside the transaction of every state change (trading.projects.lifecycle.move),
so the tallies commit or roll back with the lot. Each bucket is bumped by an upsert
(``INSERT … ON CONFLICT DO UPDATE SET lots = lots + excluded.lots``): concurrent moves into
one bucket queue on its row (PostgreSQL) or on the single writer (SQLite) and add up, where
reading a count and writing it back would lose one of them.

Lots are created as drafts and drafts are not counted, so creating a lot touches nothing; the
lots that ended (awarded, failed, cancelled) never move again and their amounts are fixed by
the move that ended them (the award price is written by that very update).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from trading.enums import LotState
from trading.kernel.db import is_sqlite
from trading.projects.models import Lot, Project
from trading.reports.models import LotTally, OutcomeDay, OutcomeMonth

OUTCOMES = frozenset({LotState.AWARDED, LotState.FAILED, LotState.CANCELLED})

Tally = type[LotTally] | type[OutcomeDay] | type[OutcomeMonth]
# Each tally's bucket key as Bump, `stored` and `buckets_of` spell it (not the storage order).
KEYS: dict[Tally, tuple[str, ...]] = {
    LotTally: ("center_id", "category", "sandbox", "state"),
    OutcomeDay: ("day", "center_id", "category", "method", "sandbox", "state"),
    OutcomeMonth: ("month", "center_id", "category", "sandbox", "state"),
}


def cents(amount: Decimal | None) -> int:
    """Whole cents of a money amount (Numeric(18, 2): exact)."""
    return 0 if amount is None else int(amount.scaleb(2).to_integral_value())


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Bump:
    """Add to one bucket: its key (as KEYS spells it) and the amounts."""

    key: tuple[Any, ...]
    lots: int
    reference_cents: int = 0
    award_cents: int = 0


async def bump(session: AsyncSession, table: Tally, bumps: Sequence[Bump]) -> None:
    """One upsert adding each bump to its bucket (rows in key order, so concurrent writers
    take the rows' locks in one order)."""
    if not bumps:
        return
    names = KEYS[table]
    rows = [
        dict(zip(names, b.key, strict=True))
        | {"lots": b.lots, "reference_cents": b.reference_cents, "award_cents": b.award_cents}
        for b in sorted(bumps, key=lambda b: tuple(str(k) for k in b.key))
    ]
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(names),
        set_={
            "lots": table.lots + stmt.excluded.lots,
            "reference_cents": table.reference_cents + stmt.excluded.reference_cents,
            "award_cents": table.award_cents + stmt.excluded.award_cents,
        },
    )
    await session.execute(stmt)


def bumps_for_move(
    project_key: tuple[Any, ...], src: LotState, lot: Lot
) -> dict[Tally, list[Bump]]:
    """What one lot's move from `src` to its current state adds to each tally; `project_key`
    is (center_id, category, method, sandbox)."""
    dst = LotState(lot.state)
    center_id, category, _method, sandbox = project_key
    coarse = (center_id, category, sandbox)  # the method is kept by the day only
    out: dict[Tally, list[Bump]] = {LotTally: [], OutcomeDay: [], OutcomeMonth: []}
    if src != LotState.DRAFT:
        out[LotTally].append(Bump((*coarse, src.value), -1))
    if dst == LotState.DRAFT:
        return out
    if dst not in OUTCOMES:
        out[LotTally].append(Bump((*coarse, dst.value), 1))
        return out
    amounts = (cents(lot.reference_price), cents(lot.award_price))
    day = utc_day(lot.state_changed_at)
    out[LotTally].append(Bump((*coarse, dst.value), 1, *amounts))
    out[OutcomeDay].append(Bump((day, *project_key, dst.value), 1, *amounts))
    out[OutcomeMonth].append(Bump((month_of(day), *coarse, dst.value), 1, *amounts))
    return out


async def moved(session: AsyncSession, lot: Lot, src: LotState, dst: LotState) -> None:
    """Count `lot`'s move from `src` to `dst`, in the caller's transaction. `lot` is the row as
    the move left it (refreshed: its state, state_changed_at and award price)."""
    if LotState(lot.state) != dst:
        raise RuntimeError(f"lot {lot.id} is {lot.state}, not {dst.value}: refresh it first")
    project = await session.get(Project, lot.project_id)  # usually already in the session
    assert project is not None
    key = (project.center_id, str(project.category), str(project.method), bool(project.sandbox))
    for table, bumps in bumps_for_move(key, src, lot).items():
        await bump(session, table, bumps)


# ---- recomputation from the lots (the oracle of tests and the bench) ---------------------------

Buckets = dict[tuple[Any, ...], tuple[int, int, int]]


def add(buckets: Buckets, key: tuple[Any, ...], lots: int, ref: int, award: int) -> None:
    n, r, a = buckets.get(key, (0, 0, 0))
    buckets[key] = (n + lots, r + ref, a + award)


def buckets_of(
    rows: Iterable[tuple[Any, ...]], into: dict[Tally, Buckets] | None = None
) -> dict[Tally, Buckets]:
    """Each tally's buckets, computed in Python from (center_id, category, method, sandbox,
    state, state_changed_at, reference price, award price) per lot (added to `into`)."""
    out = into if into is not None else {LotTally: {}, OutcomeDay: {}, OutcomeMonth: {}}
    for center_id, category, method, sandbox, state, changed_at, reference, award in rows:
        state = LotState(state)
        if state == LotState.DRAFT:
            continue
        coarse = (center_id, str(category), bool(sandbox), state.value)
        if state not in OUTCOMES:
            add(out[LotTally], coarse, 1, 0, 0)
            continue
        ref, won = cents(reference), cents(award)
        day = utc_day(changed_at)
        add(out[LotTally], coarse, 1, ref, won)
        add(out[OutcomeDay], (day, *coarse[:2], str(method), *coarse[2:]), 1, ref, won)
        add(out[OutcomeMonth], (month_of(day), *coarse), 1, ref, won)
    return out


async def recount(session: AsyncSession) -> dict[Tally, Buckets]:
    """The tallies as they should be, recomputed lot by lot from the lots table."""
    lots = await session.execute(
        select(
            Project.center_id,
            Project.category,
            Project.method,
            Project.sandbox,
            Lot.state,
            Lot.state_changed_at,
            Lot.budget,
            Lot.control_price,
            Lot.price_basis,
            Lot.award_price,
        ).join(Project, Lot.project_id == Project.id)
    )
    reference_of = Lot.reference_price.fget  # the lot's own rule, applied to a plain row
    assert reference_of is not None

    def rows() -> Iterable[tuple[Any, ...]]:
        for center_id, cat, method, sandbox, state, at, budget, control, basis, award in lots:
            amounts = SimpleNamespace(budget=budget, control_price=control, price_basis=basis)
            yield center_id, cat, method, sandbox, state, at, reference_of(amounts), award

    return buckets_of(rows())


async def stored(session: AsyncSession) -> dict[Tally, Buckets]:
    """The tallies as stored (empty buckets left behind by lots that moved on are dropped)."""
    out: dict[Tally, Buckets] = {}
    for table in (LotTally, OutcomeDay, OutcomeMonth):
        cols = [table.__table__.c[n] for n in KEYS[table]]
        rows = await session.execute(
            select(*cols, table.lots, table.reference_cents, table.award_cents)
        )
        buckets: Buckets = {}
        for row in rows:
            *key, n, ref, award = row
            if (n, ref, award) != (0, 0, 0):
                buckets[tuple(key)] = (int(n), int(ref), int(award))
        out[table] = buckets
    return out


__all__ = ["KEYS", "OUTCOMES", "Bump", "bump", "moved", "recount", "stored"]
