"""remote scoring: experts' score sheets and the committee's finalisation

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 00:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "score_sheet",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("member_id", ID, sa.ForeignKey("committee_member.id"), nullable=False),
        sa.Column("committee_id", ID, sa.ForeignKey("committee.id"), nullable=False),
        sa.Column("declaration", sa.Text(), nullable=False),
        sa.Column("declared_at", WHEN, nullable=False),
        sa.Column("qualification", JsonB, nullable=False),
        sa.Column("scores", JsonB, nullable=False),
        sa.Column("deviation_reasons", JsonB, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("member_id"),
    )
    op.create_index("ix_score_sheet_committee_id", "score_sheet", ["committee_id"])
    op.create_table(
        "scoring_final",
        sa.Column("committee_id", ID, sa.ForeignKey("committee.id"), primary_key=True),
        sa.Column("finalised_by_id", ID, sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("finalised_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scoring_final")
    op.drop_index("ix_score_sheet_committee_id", table_name="score_sheet")
    op.drop_table("score_sheet")
