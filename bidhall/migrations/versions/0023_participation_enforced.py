"""participation enforced: no schema change

Registration and bid security are enforced from rows that exist (registration, bid_security,
both unique per lot and company) and the lot's ruleset (trading/rules/rulesets.py
`registration_required`); nothing new is stored.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 00:23:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
