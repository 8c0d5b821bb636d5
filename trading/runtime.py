"""Everything a process shares: settings, clock, database, blob store, platform key, scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crypto.keys import Identity
from trading.blobs import LocalBlobStore
from trading.clock import Clock, SystemClock
from trading.config import Settings
from trading.db import make_engine, make_sessionmaker
from trading.platform import platform_identity
from trading.scheduler import OpeningScheduler


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    blobs: LocalBlobStore
    platform: Identity
    scheduler: OpeningScheduler | None = field(default=None)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            clock=clock or SystemClock(),
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            blobs=LocalBlobStore(settings.blob_dir),
            platform=platform_identity(settings.key_dir),
        )
