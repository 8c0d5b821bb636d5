"""One scheduler across worker processes: the leader holds a PostgreSQL advisory lock on its own
connection; each engine here stands for a worker process (advisory locks belong to sessions)."""

from __future__ import annotations

from bidhall.scheduler import Leadership
from trading.kernel.db import make_engine
from trading.kernel.runtime import Runtime


async def test_exactly_one_worker_leads_and_a_follower_takes_over(rt: Runtime) -> None:
    second = make_engine(rt.settings.database_url)
    first_worker, second_worker = Leadership(rt.engine), Leadership(second)
    try:
        assert await first_worker.try_lead()
        if rt.engine.dialect.name == "sqlite":
            # SQLite is served by one process: whoever runs it leads.
            assert await second_worker.try_lead()
            return
        assert not await second_worker.try_lead()  # the lock is held elsewhere
        assert not await second_worker.try_lead()  # asking again changes nothing
        await first_worker.resign()  # the leader's process ends: its connection goes
        assert await second_worker.try_lead()
        assert not await first_worker.try_lead()  # the old leader is now a follower
    finally:
        await first_worker.resign()
        await second_worker.resign()
        await second.dispose()
