"""Everything a process shares: settings, clock, database, blob store, platform key, jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crypto.keys import Identity
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock, SystemClock
from trading.kernel.config import Settings
from trading.kernel.db import make_engine, make_sessionmaker
from trading.kernel.platform import platform_identity


class OpeningJobs(Protocol):
    """What the domain asks of the scheduler (the composition root provides it)."""

    def schedule_opening(self, lot_id: int, at: datetime) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    blobs: LocalBlobStore
    platform: Identity
    scheduler: OpeningJobs | None = field(default=None)

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

    def context(self) -> Context:
        """What a bidding service needs besides its session, with the clock read now."""
        return Context(
            now=self.clock.now(), blobs=self.blobs, platform=self.platform, settings=self.settings
        )


@dataclass(frozen=True)
class Context:
    """What bidding services need besides the session: clock reading, blobs, platform key."""

    now: datetime
    blobs: LocalBlobStore
    platform: Identity
    settings: Settings
