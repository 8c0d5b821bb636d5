"""Alembic, driven from code: upgrade, and the start-up check that refuses an old schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_HINT = "bidhall db upgrade"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Must run outside a running event loop (Alembic's env drives its own)."""
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


class SchemaOutOfDate(SystemExit):
    pass


async def ensure_migrated(engine: AsyncEngine, url: str) -> None:
    current, head = await current_revision(engine), head_revision(url)
    if current != head:
        raise SchemaOutOfDate(
            f"bidhall: database schema is at {current or 'nothing'}, code expects {head}:"
            f" run `{UPGRADE_HINT}` first"
        )
