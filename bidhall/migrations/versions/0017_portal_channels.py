"""portal channels

The portal lists published announcements newest first, per channel (kind) and all together:
an index for each order, so a channel page reads its rows from one range.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("announcement") as batch:
        batch.create_index("ix_announcement_channel", ["state", "kind", "published_at", "id"])
        batch.create_index("ix_announcement_published", ["state", "published_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("announcement") as batch:
        batch.drop_index("ix_announcement_published")
        batch.drop_index("ix_announcement_channel")
