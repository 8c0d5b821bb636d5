"""What every `bidhall` sub-command shares: one-line errors and a runtime on a migrated DB."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from trading.config import Settings

T = TypeVar("T")


class CliError(Exception):
    """Shown as one line on stderr, exit status 2."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def settings() -> Settings:
    return Settings.from_env()


async def with_runtime(config: Settings, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Build a Runtime on a database at the latest schema, run `fn(rt)`, dispose the engine."""
    from trading.migrate import ensure_migrated
    from trading.runtime import Runtime

    rt = Runtime.build(config)
    try:
        await ensure_migrated(rt.engine, config.database_url)
        return await fn(rt)
    finally:
        await rt.engine.dispose()
