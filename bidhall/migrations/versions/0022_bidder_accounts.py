"""bidder accounts: USCC claims reviewed by a center, several users per company

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 00:22:00

A person signs up alone; a claim to act for a company (org_claim) waits for a center's staff;
at most one claim per USCC is ever approved. The approved claimant administers the company
(user_account.org_admin) and invites its other users (org_invitation). In a database made
before this, each company's first bidder account becomes its administrator.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("org_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("phone", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("email", sa.String(200), nullable=False, server_default=""))
    # Existing companies: the first bidder account of each administers it.
    op.execute(
        "UPDATE user_account SET org_admin = true WHERE id IN ("
        " SELECT min(u.id) FROM user_account u"
        " WHERE u.org_id IS NOT NULL AND CAST(u.roles AS TEXT) LIKE '%\"bidder\"%'"
        " GROUP BY u.org_id)"
    )
    op.create_table(
        "org_claim",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID, sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("center_id", ID, sa.ForeignKey("center.id"), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("org_name", sa.String(200), nullable=False),
        sa.Column("sme", sa.Boolean(), nullable=False),
        sa.Column("licence_sha256", sa.String(64), nullable=False),
        sa.Column("licence_name", sa.String(200), nullable=False),
        sa.Column("licence_type", sa.String(40), nullable=False),
        sa.Column("licence_size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("decided_by_id", ID, sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("org_id", ID, sa.ForeignKey("organization.id"), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state"),
    )
    op.create_index("ix_org_claim_uscc", "org_claim", ["uscc"])
    op.create_index("ix_org_claim_center_state", "org_claim", ["center_id", "state"])
    approved, pending = sa.text("state = 'approved'"), sa.text("state = 'pending'")
    op.create_index(
        "uq_org_claim_approved_uscc",
        "org_claim",
        ["uscc"],
        unique=True,
        sqlite_where=approved,
        postgresql_where=approved,
    )
    op.create_index(
        "uq_org_claim_pending_user",
        "org_claim",
        ["user_id"],
        unique=True,
        sqlite_where=pending,
        postgresql_where=pending,
    )
    op.create_table(
        "org_invitation",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("org_id", ID, sa.ForeignKey("organization.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created_by_id", ID, sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("used_by_id", ID, sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_org_invitation_org_id", "org_invitation", ["org_id"])


def downgrade() -> None:
    op.drop_table("org_invitation")
    op.drop_index("uq_org_claim_pending_user", "org_claim")
    op.drop_index("uq_org_claim_approved_uscc", "org_claim")
    op.drop_table("org_claim")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("email")
        batch.drop_column("phone")
        batch.drop_column("org_admin")
