"""statistics aggregates

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00

Three tallies of lots (trading/reports/models.py), filled here from the lots as they stand and
kept by the code from then on, and an index on lot.state_changed_at for the edges of dated
reports. The backfill is one INSERT … SELECT … GROUP BY per table (`backfill_sql`, which the
tests and bench/statistics.py run too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

OUTCOMES = "('awarded', 'failed', 'cancelled')"
REFERENCE = (
    "CASE WHEN l.price_basis = 'control_price' AND l.control_price IS NOT NULL"
    " THEN l.control_price ELSE l.budget END"
)
# Whole cents: exact whether the amounts are binary floats (SQLite) or numeric (PostgreSQL).
REFERENCE_CENTS = f"CAST(ROUND(({REFERENCE}) * 100) AS BIGINT)"
AWARD_CENTS = "CAST(ROUND(COALESCE(l.award_price, 0) * 100) AS BIGINT)"
# The UTC day and month a lot reached its state (SQLite stores UTC text, PostgreSQL timestamptz).
PERIODS = {
    "sqlite": ("date(l.state_changed_at)", "date(l.state_changed_at, 'start of month')"),
    "postgresql": (
        "CAST(l.state_changed_at AT TIME ZONE 'UTC' AS DATE)",
        "CAST(date_trunc('month', l.state_changed_at AT TIME ZONE 'UTC') AS DATE)",
    ),
}
SOURCE = "FROM lot l JOIN project p ON p.id = l.project_id"
SUMS = "lots, reference_cents, award_cents"
PROJECT = "p.center_id, p.category, p.method, p.sandbox, l.state"
NO_METHOD = "p.center_id, p.category, p.sandbox, l.state"


def backfill_sql(dialect: str) -> list[str]:
    """The statements that fill the three tallies from the lots (into empty tables). Days and
    months go in in time order, as the code adds them later: a period's rows stay together."""
    day, month = PERIODS[dialect]
    ended = f"SUM({REFERENCE_CENTS}), SUM({AWARD_CENTS}) {SOURCE} WHERE l.state IN {OUTCOMES}"
    return [
        "INSERT INTO lot_tally (center_id, category, sandbox, state, " + SUMS + ")"
        f" SELECT {NO_METHOD}, COUNT(*),"
        f" SUM(CASE WHEN l.state IN {OUTCOMES} THEN {REFERENCE_CENTS} ELSE 0 END),"
        f" SUM(CASE WHEN l.state IN {OUTCOMES} THEN {AWARD_CENTS} ELSE 0 END)"
        f" {SOURCE} WHERE l.state <> 'draft' GROUP BY {NO_METHOD}",
        "INSERT INTO outcome_day (day, center_id, category, method, sandbox, state, " + SUMS + ")"
        f" SELECT {day}, {PROJECT}, COUNT(*), {ended} GROUP BY {day}, {PROJECT} ORDER BY 1",
        "INSERT INTO outcome_month (month, center_id, category, sandbox, state, " + SUMS + ")"
        f" SELECT {month}, {NO_METHOD}, COUNT(*), {ended} GROUP BY {month}, {NO_METHOD} ORDER BY 1",
    ]


def _tally(name: str, key: list[str], *columns: sa.Column[Any]) -> None:
    op.create_table(
        name,
        *columns,
        sa.Column("center_id", BIG_ID, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lots", sa.BigInteger(), nullable=False),
        sa.Column("reference_cents", sa.BigInteger(), nullable=False),
        sa.Column("award_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"], ["center.id"], name=op.f(f"fk_{name}_center_id_center")
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,  # stored in key order
    )


def _method() -> sa.Column[Any]:
    return sa.Column("method", sa.String(length=32), nullable=False)


def upgrade() -> None:
    _tally("lot_tally", ["center_id", "category", "sandbox", "state"])
    _tally(
        "outcome_day",
        ["day", "center_id", "category", "sandbox", "state", "method"],
        sa.Column("day", sa.Date(), nullable=False),
        _method(),
    )
    _tally(
        "outcome_month",
        ["center_id", "category", "sandbox", "state", "month"],
        sa.Column("month", sa.Date(), nullable=False),
    )
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.create_index("ix_lot_state_state_changed_at", ["state", "state_changed_at"])
    for statement in backfill_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.drop_index("ix_lot_state_state_changed_at")
    op.drop_table("outcome_month")
    op.drop_table("outcome_day")
    op.drop_table("lot_tally")
