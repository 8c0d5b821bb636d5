"""signed tree heads of the audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:21:23.714614
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tree_head",
        sa.Column(
            "tree_size",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column(
            "timestamp",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("sth", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_tree_head")),
    )
    with op.batch_alter_table("tree_head", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tree_head_timestamp"), ["timestamp"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tree_head", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_head_timestamp"))
    op.drop_table("tree_head")
