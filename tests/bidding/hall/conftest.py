"""Opening-hall fixtures: an SSE reader with bounded waits, sign-in helpers, a lot at each stage."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from bidding.opening.flows import run_opening
from bidhall.demo import DEMO_PASSWORD, release_shares
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

WAIT = 30.0  # seconds: an upper bound for any single wait, never a sleep


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any]
    raw: str  # exactly what went over the wire (the data lines)
    id: str | None


async def sse(response: httpx.Response) -> AsyncIterator[Event]:
    """Parse a text/event-stream response into events (comments and retry lines skipped)."""
    kind, data, event_id = "message", [], None
    async for line in response.aiter_lines():
        if line == "":
            if data:
                raw = "\n".join(data)
                yield Event(kind, json.loads(raw), raw, event_id)
            kind, data, event_id = "message", [], None
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                event_id = value


async def next_event(events: AsyncIterator[Event], *skip: str) -> Event:
    """The next event whose kind is not in `skip`, within WAIT seconds."""
    async with asyncio.timeout(WAIT):
        async for event in events:
            if event.kind not in skip:
                return event
    raise AssertionError("the stream ended")


async def until(events: AsyncIterator[Event], kind: str) -> list[Event]:
    """Every event up to and including the first of `kind`, within WAIT seconds."""
    seen: list[Event] = []
    async with asyncio.timeout(WAIT):
        async for event in events:
            seen.append(event)
            if event.kind == kind:
                return seen
    raise AssertionError(f"the stream ended before {kind!r}: {[e.kind for e in seen]}")


async def web_login(client: AsyncTestClient[Any], username: str) -> None:
    """Sign in through the login form: the client keeps the session cookie."""
    r = await client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code in (200, 201, 302, 303), r.text
    assert "bh_session" in client.cookies


def csrf_of(html: str) -> str:
    found = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def opened_lot(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> Callable[..., Awaitable[Lot]]:
    """A lot through its opening: published, three bids, opened, record published."""

    async def make(**changes: Any) -> Lot:
        lot = await publish_lot(**changes)
        clock.advance(timedelta(days=1))
        await bid(lot)
        clock.set(lot.bid_deadline)
        await run_opening(rt, lot.id)
        clock.advance(timedelta(minutes=5))
        await release_shares(rt, lot.id, lambda _m: None)
        return lot

    return make
