"""evaluation report: signed declarations, report versions and signatures, re-evaluations

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 00:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = DateTimeUTC(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("score_sheet") as batch:
        batch.add_column(
            sa.Column("declaration_signature", sa.String(128), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("declaration_key_id", ID, nullable=True))
        batch.create_foreign_key(
            "fk_score_sheet_declaration_key_id_party_key",
            "party_key",
            ["declaration_key_id"],
            ["id"],
        )
    with op.batch_alter_table("score_sheet") as batch:
        batch.alter_column("declaration_signature", server_default=None)
    op.create_table(
        "re_evaluation",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("committee_id", ID, sa.ForeignKey("committee.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("case", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_by_id", ID, sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.UniqueConstraint("committee_id", "number"),
    )
    op.create_index("ix_re_evaluation_committee_id", "re_evaluation", ["committee_id"])
    op.create_table(
        "evaluation_report",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("lot_id", ID, sa.ForeignKey("lot.id"), nullable=False),
        sa.Column("committee_id", ID, sa.ForeignKey("committee.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JsonB, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("superseded_at", WHEN, nullable=True),
        sa.UniqueConstraint("lot_id", "version"),
    )
    op.create_index("ix_evaluation_report_lot_id", "evaluation_report", ["lot_id"])
    op.create_table(
        "evaluation_report_signature",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("report_id", ID, sa.ForeignKey("evaluation_report.id"), nullable=False),
        sa.Column("member_id", ID, sa.ForeignKey("committee_member.id"), nullable=False),
        sa.Column("party_key_id", ID, sa.ForeignKey("party_key.id"), nullable=False),
        sa.Column("dissent", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.UniqueConstraint("report_id", "member_id"),
    )
    op.create_index(
        "ix_evaluation_report_signature_report_id",
        "evaluation_report_signature",
        ["report_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_evaluation_report_signature_report_id", table_name="evaluation_report_signature"
    )
    op.drop_table("evaluation_report_signature")
    op.drop_index("ix_evaluation_report_lot_id", table_name="evaluation_report")
    op.drop_table("evaluation_report")
    op.drop_index("ix_re_evaluation_committee_id", table_name="re_evaluation")
    op.drop_table("re_evaluation")
    with op.batch_alter_table("score_sheet") as batch:
        batch.drop_constraint("fk_score_sheet_declaration_key_id_party_key", type_="foreignkey")
        batch.drop_column("declaration_key_id")
        batch.drop_column("declaration_signature")
