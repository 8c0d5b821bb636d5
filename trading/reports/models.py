"""Statistics aggregates: lots counted and summed as they move, so a report never scans lots.

Three tallies, kept in the transaction of every state change (trading.reports.tally, called by
trading.projects.lifecycle.move), each bucket keyed by the lot's project (center, category,
sandbox) and state:

- ``outcome_day``: the lots that ended (awarded, failed, cancelled) by the UTC day they ended
  on, and by procurement method too: the finest grain, which the others roll up.
- ``outcome_month``: the same by UTC month.
- ``lot_tally``: how many lots are in each state now (drafts are not counted), with the
  amounts of the lots that ended. The center tree's counts and every undated report read it.

The coarse tallies leave the method out: no report splits by method, and a bucket per method
would double or triple the rows a platform-wide or two-year report adds up.

A dated report adds whole months and whole days and reads the lots themselves only for the
hours between a UTC midnight and its period's edges (trading.reports.service.plan), so a
period drawn in any zone comes out exact.

Amounts are whole cents in 64-bit integers: exact on SQLite (which keeps NUMERIC as binary
floats) and PostgreSQL alike. On SQLite the tables are stored in key order (WITHOUT ROWID):
days are first in `outcome_day`'s key, so a range of days is one contiguous read; the others
lead with the center and end with what a report adds up, so it groups without sorting.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import Base, BigId
from trading.projects.models import Lot


def clustered(*key: str) -> tuple[Any, ...]:
    """The primary key, and on SQLite the table stored in its order (no rowid)."""
    return (PrimaryKeyConstraint(*key), {"sqlite_with_rowid": False})


class TallyMixin:
    """A bucket's project key and state, and what is counted in it."""

    center_id: Mapped[int] = mapped_column(BigId, ForeignKey("center.id"), autoincrement=False)
    category: Mapped[str] = mapped_column(String(32))
    sandbox: Mapped[bool]
    state: Mapped[str] = mapped_column(String(16))
    lots: Mapped[int] = mapped_column(BigInteger, default=0)
    # Σ reference price (budget or control price, as the lot declares) and Σ award price, in
    # cents, of the lots that ended; 0 for lots still in progress.
    reference_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    award_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class LotTally(TallyMixin, Base):
    __tablename__ = "lot_tally"
    __table_args__ = clustered("center_id", "category", "sandbox", "state")


class OutcomeDay(TallyMixin, Base):
    __tablename__ = "outcome_day"
    __table_args__ = clustered("day", "center_id", "category", "sandbox", "state", "method")

    day: Mapped[date] = mapped_column(Date)  # the UTC day the lot ended
    method: Mapped[str] = mapped_column(String(32))


class OutcomeMonth(TallyMixin, Base):
    __tablename__ = "outcome_month"
    __table_args__ = clustered("center_id", "category", "sandbox", "state", "month")

    month: Mapped[date] = mapped_column(Date)  # the first day of the UTC month it ended in


# The edges of a dated report read the lots that ended within hours of a midnight: by state,
# then by the time they reached it. The index sits on the lot table but belongs to the reports.
Index("ix_lot_state_state_changed_at", Lot.state, Lot.state_changed_at)
