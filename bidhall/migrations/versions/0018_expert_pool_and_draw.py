"""expert pool and committee draw

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:40:00

The expert pool (专家库), each center's draw policy, and each lot's drawn committee
(evaluation/experts/models.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "expert",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("user_id", ID, sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("center_id", ID, sa.ForeignKey("center.id"), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("specialties", JsonB, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("employer", sa.String(200), nullable=False),
        sa.Column("employer_uscc", sa.String(18), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("avoid_usccs", JsonB, nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_index("ix_expert_center_id", "expert", ["center_id"])
    op.create_table(
        "expert_pool_policy",
        sa.Column("center_id", ID, sa.ForeignKey("center.id"), primary_key=True),
        sa.Column("reach_parent", sa.Boolean(), nullable=False),
        sa.Column("recent_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "committee",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("lot_id", ID, sa.ForeignKey("lot.id"), nullable=False),
        sa.Column("representatives", sa.Integer(), nullable=False),
        sa.Column("demand", JsonB, nullable=False),
        sa.Column("pool", JsonB, nullable=False),
        sa.Column("pool_digest", sa.String(64), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("seed_sha256", sa.String(64), nullable=False),
        sa.Column("drawn_by_id", ID, sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("drawn_at", DateTimeUTC(timezone=True), nullable=False),
        sa.UniqueConstraint("lot_id"),
    )
    op.create_table(
        "committee_member",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("committee_id", ID, sa.ForeignKey("committee.id"), nullable=False),
        sa.Column("expert_id", ID, sa.ForeignKey("expert.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.String(12), nullable=False),
        sa.Column("ticket", sa.String(64), nullable=False),
        sa.Column("declined_reason", sa.Text(), nullable=False),
        sa.Column("declined_at", DateTimeUTC(timezone=True), nullable=True),
        sa.UniqueConstraint("committee_id", "expert_id"),
    )
    op.create_index("ix_committee_member_committee_id", "committee_member", ["committee_id"])
    op.create_index("ix_committee_member_expert_id", "committee_member", ["expert_id"])


def downgrade() -> None:
    op.drop_table("committee_member")
    op.drop_table("committee")
    op.drop_table("expert_pool_policy")
    op.drop_table("expert")
