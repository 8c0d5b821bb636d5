"""opening lease and bidder secrecy

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("opening", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "lease_until", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True
            )
        )
    op.create_table(
        "lot_secrecy",
        sa.Column("lot_id", BIG_ID, nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_lot_secrecy_lot_id_lot")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_lot_secrecy")),
    )


def downgrade() -> None:
    op.drop_table("lot_secrecy")
    with op.batch_alter_table("opening", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
