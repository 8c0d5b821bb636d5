"""announcements as records

An announcement keeps its rendered document, digest, reason, citation, facts, attachments and
the end of the period it opens; award letters (中标通知书 / 中标结果通知书) get their table.
Existing announcements keep their text in `body`; drafts stay drafts (staff publish them).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _json() -> sa.types.TypeEngine[object]:
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(astext_type=Text()), "cockroachdb")
        .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
        .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
    )


def upgrade() -> None:
    with op.batch_alter_table("announcement") as batch:
        batch.add_column(sa.Column("html", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("citation", sa.String(300), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("facts", _json(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(
            sa.Column("attachments", _json(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("ends_at", UTC, nullable=True))
    op.create_table(
        "award_letter",
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("announcement_id", ID, nullable=False),
        sa.Column("bidder_org_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("facts", _json(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", ID, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcement.id"],
            name=op.f("fk_award_letter_announcement_id_announcement"),
        ),
        sa.ForeignKeyConstraint(
            ["bidder_org_id"],
            ["organization.id"],
            name=op.f("fk_award_letter_bidder_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_award_letter_lot_id_lot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_letter")),
        sa.UniqueConstraint(
            "lot_id", "bidder_org_id", name=op.f("uq_award_letter_lot_id_bidder_org_id")
        ),
    )
    op.create_index("ix_award_letter_org_created", "award_letter", ["bidder_org_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_award_letter_org_created", table_name="award_letter")
    op.drop_table("award_letter")
    with op.batch_alter_table("announcement") as batch:
        for name in ("ends_at", "attachments", "facts", "citation", "reason", "sha256", "html"):
            batch.drop_column(name)
