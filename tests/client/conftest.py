"""Run `bidhall …` in-process (the real `main()`: one-line errors, exit codes)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Ran:
    from trading.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["bidhall", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture
def bidhall() -> object:
    """`await bidhall("audit", "verify", …)`: the CLI in a worker thread (the server, in its
    own thread, keeps serving; the test's event loop stays free)."""

    async def invoke(*args: str) -> Ran:
        return await asyncio.to_thread(run_cli, *args)

    return invoke
