"""Background work keyed by what it works on: one task per key in this process.

A kick while the key's task runs asks it to run once more when done, so work that arrives during
a run (another share, another file key) is never lost and never runs twice at once. Across
processes the work itself must hold a lease (the opening does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger("bidhall.jobs")

Work = Callable[[], Awaitable[object]]


class Jobs:
    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._again: set[Hashable] = set()

    def kick(self, key: Hashable, work: Work) -> None:
        if key in self._tasks:
            self._again.add(key)
            return
        self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key, work))

    async def _run(self, key: Hashable, work: Work) -> None:
        try:
            while True:
                self._again.discard(key)
                try:
                    await work()
                except Exception:
                    log.exception("background job %s failed; reconciliation retries it", key)
                if key not in self._again:
                    return
        finally:
            del self._tasks[key]

    def running(self, key: Hashable) -> bool:
        return key in self._tasks

    async def wait(self, key: Hashable) -> None:
        """Until the key's task (and any rerun it was asked for) is done."""
        task = self._tasks.get(key)
        if task is None:
            return
        if task.get_loop() is asyncio.get_running_loop():
            await asyncio.shield(task)
            return
        # Kicked from another loop's thread (a test client serving the app from a portal).
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.wait(key), task.get_loop()))

    async def drain(self, grace: float | None = None) -> None:
        """Let every running job of this event loop finish (shutdown; tests); cancel what outlives
        `grace` seconds. (A test client may run the app's lifespan on another loop than its
        requests; each loop drains its own.)"""
        loop = asyncio.get_running_loop()
        tasks = [t for t in self._tasks.values() if t.get_loop() is loop]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
