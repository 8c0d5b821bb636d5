"""Live lot events for the opening hall: publish after commit, subscribe per lot.

Every event is published by the service *after* its transaction committed, so a
subscriber never sees something the database could still roll back. Events carry
absolute figures (2 of 3 shares, 5 of 7 bids decrypted), never deltas, so a
late or repeated event is harmless, and a (re)connecting client first receives a
full-state snapshot built from the database: the stream needs no replay log and
the browser's Last-Event-ID is not relied on.

What an event may say is limited by what is public at that moment: no event but
``record`` carries a price or a bidder's name; the record event is published only
after the signed record is committed.

Backends: :class:`MemoryBackend` fans out inside one process, across threads and
event loops (the scheduler, a test, or the web server may each publish). With
several web workers on PostgreSQL, replace it through :func:`use_backend` with a
backend that sends ``NOTIFY bidhall_lot, '<json>'`` in ``publish`` and runs one
``LISTEN`` connection per worker that feeds its local subscribers (Litestar
channels' ``AsyncPgChannelsBackend`` does exactly that); the payload is small JSON
(< 8000 bytes, PostgreSQL's NOTIFY limit), which is why events stay small and
the record event carries the record (a few KB per dozen bidders) rather than
blobs. Presence (who is connected) is per process here; a PostgreSQL deployment
would keep it in a table with heartbeats instead.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("bidhall.events")

# Event kinds (the SSE `event:` field).
SNAPSHOT = "snapshot"  # full state, sent to each connection first (never published)
STATE = "state"  # lot state changed: {"state", "bids"?: count, "reason"?}
SHARE = "share"  # a custodian released its share: {"released", "threshold", "custodians"}
KEY = "key"  # opening key recovered from k shares: {"recovered": true}
DECRYPT = "decrypt"  # decryption progress: {"done", "total"}
RECORD = "record"  # the signed record is published: {"record", "signature", "key_id", ...}
RESPONSE = "response"  # a bidder confirmed or objected, or the center answered
PRESENCE = "presence"  # connections changed: {"bidders", "viewers"}
ROSTER = "roster"  # who has acted, by position only: {"sealed": [..], "released": [..], ...}

QUEUE_LIMIT = 256  # a subscriber this far behind is dropped; its browser reconnects


@dataclass(frozen=True)
class LotEvent:
    lot_id: int
    kind: str
    data: dict[str, Any]
    id: int = 0


class Backend(Protocol):
    def publish(self, event: LotEvent) -> None: ...

    def subscribe(self, lot_id: int) -> Subscription: ...

    def unsubscribe(self, subscription: Subscription) -> None: ...


@dataclass(eq=False)
class Subscription:
    lot_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LotEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )

    async def next(self) -> LotEvent | None:
        """The next event; None once the subscriber was dropped for being too slow."""
        return await self.queue.get()


class MemoryBackend:
    """In-process fan-out; thread-safe (publishers may run on another thread's loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[int, set[Subscription]] = {}
        self._ids = itertools.count(1)

    def publish(self, event: LotEvent) -> None:
        with self._lock:
            event = LotEvent(event.lot_id, event.kind, event.data, next(self._ids))
            targets = list(self._subs.get(event.lot_id, ()))
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(_deliver, sub, event)
            except RuntimeError:  # that loop is closed: the connection is gone
                self.unsubscribe(sub)

    def subscribe(self, lot_id: int) -> Subscription:
        sub = Subscription(lot_id, asyncio.get_running_loop())
        with self._lock:
            self._subs.setdefault(lot_id, set()).add(sub)
        return sub

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(subscription.lot_id)
            if subs is not None:
                subs.discard(subscription)
                if not subs:
                    del self._subs[subscription.lot_id]

    def subscribers(self, lot_id: int) -> int:
        with self._lock:
            return len(self._subs.get(lot_id, ()))


def _deliver(sub: Subscription, event: LotEvent) -> None:
    try:
        sub.queue.put_nowait(event)
    except asyncio.QueueFull:
        # Never block a publisher on a slow reader: drop it; it reconnects to a snapshot.
        log.warning("dropping a slow hall subscriber of lot %s", sub.lot_id)
        _backend.unsubscribe(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)


_backend: Backend = MemoryBackend()


def use_backend(backend: Backend) -> None:
    """Swap the fan-out (e.g. for PostgreSQL LISTEN/NOTIFY with several workers)."""
    global _backend
    _backend = backend


def publish(lot_id: int, kind: str, data: dict[str, Any] | None = None) -> None:
    """Announce a committed change; never raises into the caller (the commit stands)."""
    try:
        _backend.publish(LotEvent(lot_id, kind, data or {}))
    except Exception:  # a broken live view must not fail an opening
        log.exception("publishing %s for lot %s failed", kind, lot_id)


@asynccontextmanager
async def subscribe(lot_id: int) -> AsyncIterator[Subscription]:
    sub = _backend.subscribe(lot_id)
    try:
        yield sub
    finally:
        _backend.unsubscribe(sub)


# ---- presence: who is watching the hall -------------------------------------------------------


class Presence:
    """Connections per lot: bidder organisations (by id) and everyone else (a count)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lots: dict[int, Counter[int | None]] = {}

    def enter(self, lot_id: int, org_id: int | None) -> None:
        with self._lock:
            self._lots.setdefault(lot_id, Counter())[org_id] += 1
        self._announce(lot_id)

    def leave(self, lot_id: int, org_id: int | None) -> None:
        with self._lock:
            counts = self._lots.get(lot_id)
            if counts is not None:
                counts[org_id] -= 1
                if counts[org_id] <= 0:
                    del counts[org_id]
                if not counts:
                    del self._lots[lot_id]
        self._announce(lot_id)

    def bidder_orgs(self, lot_id: int) -> set[int]:
        with self._lock:
            return {org for org in self._lots.get(lot_id, Counter()) if org is not None}

    def counts(self, lot_id: int) -> dict[str, int]:
        with self._lock:
            counts = self._lots.get(lot_id, Counter())
            return {
                "bidders": sum(1 for org in counts if org is not None),
                "viewers": sum(counts.values()),
            }

    def _announce(self, lot_id: int) -> None:
        publish(lot_id, PRESENCE, self.counts(lot_id))


presence = Presence()
