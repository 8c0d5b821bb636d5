"""Support for the test suites, kept in the package so every suite imports one copy."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from bidhall.demo import DEMO_PASSWORD
from trading.enums import LotState
from trading.kernel.runtime import Runtime

Client = AsyncTestClient[Any]


@contextlib.asynccontextmanager
async def app_client(rt: Runtime, **settings: Any) -> AsyncIterator[Client]:
    """The app on its own engine (the test client may serve it from another event loop),
    sharing the test's database, blobs, keys and clock; `settings` override the test's."""
    app_rt = Runtime.build(rt.settings.with_(**settings), rt.clock)
    from bidhall.app import create_app

    try:
        async with AsyncTestClient(app=create_app(app_rt.settings, runtime=app_rt)) as client:
            yield client
    finally:
        await app_rt.jobs.drain()  # openings its requests kicked run on the test's loop
        await app_rt.engine.dispose()


async def settled(client: Client, rt: Runtime, lot_id: int) -> LotState:
    """Wait for the opening job the app's requests kicked (202), then the lot's state, read
    through the test's runtime (the app's connections belong to the app's event loop)."""
    from bidding.opening.flows import job_done
    from trading.projects.models import Lot

    await job_done(client.app.state.rt, lot_id)
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        return LotState(lot.state)


async def bearer(client: Client | httpx.AsyncClient, username: str) -> dict[str, str]:
    """Authorization headers for a demo user (all share DEMO_PASSWORD)."""
    r = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Ran:
    """`bidhall …` in-process through the real `main()` (one-line errors, exit codes)."""
    from bidhall.cli import main

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
