"""evaluation clarifications (澄清) and 暗标: the lot's flag, bids' letters, the questions

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 00:21:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("lot") as batch:
        batch.add_column(
            sa.Column(
                "anonymous_technical", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "anonymous_label",
        sa.Column("bid_id", ID, sa.ForeignKey("bid.id"), primary_key=True, autoincrement=False),
        sa.Column("lot_id", ID, sa.ForeignKey("lot.id"), nullable=False),
        sa.Column("letter", sa.String(4), nullable=False),
        sa.UniqueConstraint("lot_id", "letter"),
    )
    op.create_table(
        "clarification",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("lot_id", ID, sa.ForeignKey("lot.id"), nullable=False),
        sa.Column("bid_id", ID, sa.ForeignKey("bid.id"), nullable=False),
        sa.Column("bidder_org_id", ID, sa.ForeignKey("organization.id"), nullable=False),
        sa.Column("asked_by_member_id", ID, sa.ForeignKey("committee_member.id"), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", WHEN, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("answer_by", WHEN, nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("file_size", ID, nullable=True),
        sa.Column("answered_by_id", ID, sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
    )
    op.create_index("ix_clarification_lot_id", "clarification", ["lot_id"])
    op.create_index("ix_clarification_org_state", "clarification", ["bidder_org_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_clarification_org_state", table_name="clarification")
    op.drop_index("ix_clarification_lot_id", table_name="clarification")
    op.drop_table("clarification")
    op.drop_table("anonymous_label")
    with op.batch_alter_table("lot") as batch:
        batch.drop_column("anonymous_technical")
