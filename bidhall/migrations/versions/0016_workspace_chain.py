"""workspace chain

Reminders staff send at the opening to custodians and bidders who have not acted yet: the
custodian's workspace notice and the record the one-per-person-per-5-minutes limit reads.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("org_id", ID, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_by_id", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_reminder_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_reminder_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_reminder_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["user_account.id"], name=op.f("fk_reminder_sent_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
    )
    with op.batch_alter_table("reminder") as batch:
        batch.create_index("ix_reminder_lot_created", ["lot_id", "created_at"], unique=False)
        batch.create_index("ix_reminder_user_created", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.drop_index("ix_reminder_user_created")
        batch.drop_index("ix_reminder_lot_created")
    op.drop_table("reminder")
