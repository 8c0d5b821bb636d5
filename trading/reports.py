"""Savings figures for lots and scopes (assembly module: may use evaluation's math)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.savings import Totals, savings, savings_rate
from trading.enums import LotState
from trading.models import Lot, Project


def lot_savings(lot: Lot) -> tuple[Decimal, Decimal | None] | None:
    """(savings amount, savings rate %) for an awarded lot, else None."""
    if lot.state != LotState.AWARDED or lot.award_price is None:
        return None
    pair = (lot.reference_price, lot.award_price)
    return savings(*pair), savings_rate([pair])


async def savings_totals(
    session: AsyncSession, center_ids: set[int] | None = None, *, sandbox: bool = False
) -> Totals:
    """Totals over awarded lots in scope; sandbox lots are kept apart from official figures."""
    stmt = (
        select(Lot).join(Project).where(Lot.state == LotState.AWARDED, Project.sandbox.is_(sandbox))
    )
    if center_ids is not None:
        stmt = stmt.where(Project.center_id.in_(center_ids))
    lots = list(await session.scalars(stmt))
    return Totals.from_pairs(
        [(lot.reference_price, lot.award_price) for lot in lots if lot.award_price is not None]
    )
