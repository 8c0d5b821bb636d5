"""center workspace

What a tender announcement states besides the lots: location, qualification requirements and
the contact (empty for projects registered before).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (
    ("location", sa.String(200)),
    ("qualification", sa.Text()),
    ("contact_name", sa.String(60)),
    ("contact_phone", sa.String(40)),
)


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
