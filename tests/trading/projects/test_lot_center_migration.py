"""Migration 0013 gives every lot its project's center, on a database full of tenders.

On SQLite the migration rebuilds `lot`, which bids, envelopes and announcements point at:
the rebuild must keep every row and every reference, down and up again.
"""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from bidhall.demo import seed_history
from bidhall.migrate import alembic_config
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot, Project


async def lot_centers(rt: Runtime) -> dict[int, tuple[int, int]]:
    async with rt.sessionmaker() as session:
        rows = await session.execute(
            select(Lot.id, Lot.center_id, Project.center_id).join(
                Project, Project.id == Lot.project_id
            )
        )
        return {lot: (own, project) for lot, own, project in rows}


async def counts(rt: Runtime) -> dict[str, int]:
    async with rt.sessionmaker() as session:
        return {
            table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("lot", "bid", "announcement", "audit_entry")
        }


async def migrate(rt: Runtime, fn: str, revision: str) -> None:
    await rt.engine.dispose()  # no pooled connection holds the old table's shape
    # Alembic's env runs its own event loop: off this one, in a thread.
    config = alembic_config(rt.settings.database_url)
    await asyncio.to_thread(getattr(command, fn), config, revision)


async def test_backfill_copies_each_projects_center_and_keeps_every_row(rt: Runtime) -> None:
    await seed_history(rt, rt.clock.now(), lambda _m: None)
    before = await counts(rt)
    centers = await lot_centers(rt)
    assert before["lot"] >= 8 and before["bid"] > 0
    assert len({project for _own, project in centers.values()}) >= 4  # lots in four centers

    await migrate(rt, "downgrade", "0012")
    async with rt.sessionmaker() as session:
        columns = await session.execute(text("SELECT * FROM lot LIMIT 1"))
        assert "center_id" not in list(columns.keys())
    await migrate(rt, "upgrade", "head")

    after = await lot_centers(rt)
    assert after.keys() == centers.keys()
    assert all(own == project for own, project in after.values())
    assert await counts(rt) == before
    async with rt.sessionmaker() as session:
        if rt.settings.database_url.startswith("sqlite"):
            assert (await session.execute(text("PRAGMA foreign_key_check"))).all() == []
            assert await session.scalar(text("PRAGMA foreign_keys")) == 1
        some = await session.scalar(select(func.min(Lot.id)))
    # The column came back NOT NULL and a foreign key to center.
    for bad in (None, 999_999):
        with pytest.raises(IntegrityError):
            async with rt.sessionmaker() as session, session.begin():
                await session.execute(update(Lot).where(Lot.id == some).values(center_id=bad))
