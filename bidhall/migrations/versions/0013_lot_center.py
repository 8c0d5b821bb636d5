"""lot center

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00

Each lot carries its project's center (a project never changes center), indexed with the
portal's order: a center's page then reads its latest lots from one index range instead of
walking every lot's deadline through a join on the project (493 ms for a county at 10^6 lots
on PostgreSQL). Backfilled from the project; SQLite rebuilds the table for NOT NULL and the
foreign key (bidhall/migrations/env.py turns its foreign-key checks off for that and checks
the whole database afterwards).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("lot", sa.Column("center_id", ID, nullable=True))
    op.execute(
        "UPDATE lot SET center_id = (SELECT project.center_id FROM project"
        " WHERE project.id = lot.project_id)"
    )
    with op.batch_alter_table("lot") as batch:
        batch.alter_column("center_id", existing_type=ID, nullable=False)
        batch.create_foreign_key("fk_lot_center_id_center", "center", ["center_id"], ["id"])
        batch.create_index("ix_lot_center_deadline_id", ["center_id", "bid_deadline", "id"])


def downgrade() -> None:
    with op.batch_alter_table("lot") as batch:
        batch.drop_index("ix_lot_center_deadline_id")
        batch.drop_constraint("fk_lot_center_id_center", type_="foreignkey")
        batch.drop_column("center_id")
