"""Everything a process shares: settings, clock, database, blob store, platform key, jobs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crypto.keys import Identity
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock, SystemClock
from trading.kernel.config import Settings
from trading.kernel.db import make_engine, make_sessionmaker
from trading.kernel.jobs import Jobs
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
    jobs: Jobs = field(default_factory=Jobs)
    # Names this process's hold on shared work (the opening lease) in the database.
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)

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
            now=self.clock.now(),
            clock=self.clock,
            blobs=self.blobs,
            platform=self.platform,
            settings=self.settings,
        )


@dataclass(frozen=True)
class Context:
    """What bidding services need besides the session: clock reading, blobs, platform key.

    `now` is read when the request starts; a guard that decides inside a write transaction
    reads `clock` again there (the request may have waited for the lock past a deadline)."""

    now: datetime
    clock: Clock
    blobs: LocalBlobStore
    platform: Identity
    settings: Settings
