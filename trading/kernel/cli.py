"""What every `bidhall` sub-command shares: one-line errors, and the runtime the root provides.

Domain commands never build a runtime themselves: the `bidhall` root puts a runner on the
Typer context (a database at the latest schema, disposed afterwards), so the kernel needs to
know nothing of migrations or of the packages above it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer

from trading.kernel.config import Settings
from trading.kernel.runtime import Runtime

T = TypeVar("T")
Runner = Callable[[Settings, Callable[[Runtime], Awaitable[Any]]], Awaitable[Any]]


class CliError(Exception):
    """Shown as one line on stderr, exit status 2."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def settings() -> Settings:
    return Settings.from_env()


def with_runtime(
    ctx: typer.Context, fn: Callable[[Runtime], Awaitable[T]], config: Settings | None = None
) -> T:
    """Run `fn(rt)` on the runtime that the `bidhall` root command provides."""
    runner: Runner = ctx.find_root().obj
    return run(runner(config or settings(), fn))  # type: ignore[no-any-return]
