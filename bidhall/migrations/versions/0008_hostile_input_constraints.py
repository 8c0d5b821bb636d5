"""hostile input constraints

Concurrent duplicates end in a constraint, never in two rows:

* `project_counter`: one row per center holding the last project number handed out, so two
  registrations racing in one center no longer both compute count+1. Rows are created on a
  center's first registration, starting after the projects it already has.
* `uq_opening_response_confirm`: a bidder confirms an opening record once (a partial unique
  index over confirmations only; objections may be many). Duplicate confirmations that a race
  left behind are removed first, keeping the earliest: a confirmation carries no text, and the
  audit log keeps every one that was made.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CONFIRMATIONS = sa.text("kind = 'confirm'")


def upgrade() -> None:
    op.create_table(
        "project_counter",
        sa.Column("center_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"], ["center.id"], name=op.f("fk_project_counter_center_id_center")
        ),
        sa.PrimaryKeyConstraint("center_id", name=op.f("pk_project_counter")),
    )
    op.execute(
        "DELETE FROM opening_response WHERE kind = 'confirm' AND id NOT IN ("
        " SELECT min(id) FROM opening_response WHERE kind = 'confirm'"
        " GROUP BY lot_id, bidder_org_id)"
    )
    with op.batch_alter_table("opening_response", schema=None) as batch_op:
        batch_op.create_index(
            "uq_opening_response_confirm",
            ["lot_id", "bidder_org_id"],
            unique=True,
            sqlite_where=CONFIRMATIONS,
            postgresql_where=CONFIRMATIONS,
        )


def downgrade() -> None:
    with op.batch_alter_table("opening_response", schema=None) as batch_op:
        batch_op.drop_index("uq_opening_response_confirm")
    op.drop_table("project_counter")
