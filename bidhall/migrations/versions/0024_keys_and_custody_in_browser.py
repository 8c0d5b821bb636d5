"""lot decryption window

`lot.decrypt_window_minutes`: the bidders' decryption window a lot sets (电子招标投标办法
第30条), within the ruleset's bounds; NULL keeps the ruleset's `decrypt_window_minutes`.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 00:24:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lot") as batch:
        batch.add_column(sa.Column("decrypt_window_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lot") as batch:
        batch.drop_column("decrypt_window_minutes")
