"""after the opening: confirm or object, not both

* `uq_opening_response_kind`: one response of each kind per bidder and lot (replaces
  `uq_opening_response_confirm`, which covered confirmations only).
* `uq_opening_response_live`: a confirmation and an unanswered objection share one slot per
  bidder and lot (条例 44: confirm or object; an answered objection may then be confirmed).

Rows an earlier version let through are removed first, as 0008 did for duplicate
confirmations (the audit log keeps every response that was made): a bidder's later objections
beyond its first, then the later of a confirmation and an unanswered objection.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 00:26:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("kind = 'confirm' OR answer IS NULL")
CONFIRMATIONS = sa.text("kind = 'confirm'")


def upgrade() -> None:
    op.execute(
        "DELETE FROM opening_response WHERE kind = 'objection' AND id NOT IN ("
        " SELECT min(id) FROM opening_response WHERE kind = 'objection'"
        " GROUP BY lot_id, bidder_org_id)"
    )
    op.execute(
        "DELETE FROM opening_response WHERE id IN ("
        " SELECT max(id) FROM opening_response WHERE kind = 'confirm' OR answer IS NULL"
        " GROUP BY lot_id, bidder_org_id HAVING count(*) > 1)"
    )
    with op.batch_alter_table("opening_response", schema=None) as batch_op:
        batch_op.drop_index("uq_opening_response_confirm")
        batch_op.create_index(
            "uq_opening_response_kind", ["lot_id", "bidder_org_id", "kind"], unique=True
        )
        batch_op.create_index(
            "uq_opening_response_live",
            ["lot_id", "bidder_org_id"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("opening_response", schema=None) as batch_op:
        batch_op.drop_index("uq_opening_response_live")
        batch_op.drop_index("uq_opening_response_kind")
        batch_op.create_index(
            "uq_opening_response_confirm",
            ["lot_id", "bidder_org_id"],
            unique=True,
            sqlite_where=CONFIRMATIONS,
            postgresql_where=CONFIRMATIONS,
        )
