"""public read paths

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00

The portal lists published lots latest deadline first and pages by keyset on
(bid_deadline, id) (trading/projects/public.py): this index serves that order and cursor
without sorting the lot table.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lot") as batch:
        batch.create_index("ix_lot_deadline_id", ["bid_deadline", "id"])


def downgrade() -> None:
    with op.batch_alter_table("lot") as batch:
        batch.drop_index("ix_lot_deadline_id")
