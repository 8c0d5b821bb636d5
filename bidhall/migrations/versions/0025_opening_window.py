"""opening window

The bidders' decryption window stored on the opening, check-in (签到) before it, and
reminders the platform itself sends (no staff sender).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 00:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("opening") as batch:
        batch.add_column(sa.Column("decrypt_ends_at", WHEN, nullable=True))
    with op.batch_alter_table("reminder") as batch:
        batch.alter_column("sent_by_id", existing_type=ID, nullable=True)
    op.create_table(
        "opening_checkin",
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("checked_in_at", WHEN, nullable=False),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_opening_checkin_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_opening_checkin_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_opening_checkin_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_checkin")),
        sa.UniqueConstraint("lot_id", "org_id", name=op.f("uq_opening_checkin_lot_id_org_id")),
    )
    with op.batch_alter_table("opening_checkin") as batch:
        batch.create_index(batch.f("ix_opening_checkin_lot_id"), ["lot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opening_checkin") as batch:
        batch.drop_index(batch.f("ix_opening_checkin_lot_id"))
    op.drop_table("opening_checkin")
    op.execute("DELETE FROM reminder WHERE sent_by_id IS NULL")
    with op.batch_alter_table("reminder") as batch:
        batch.alter_column("sent_by_id", existing_type=ID, nullable=False)
    with op.batch_alter_table("opening") as batch:
        batch.drop_column("decrypt_ends_at")
