"""A short-lived, in-process cache of the public pages as anonymous visitors get them.

What is kept: the whole response (status, headers, body) to a GET on a route that opted in
with `@public_cache`, asked without credentials: no Authorization header and no session
cookie. The key is the path, the raw query string and the language the page is rendered in
(`?lang=` or the `lang` cookie, read by Litestar's own parsers exactly as `page()` reads
them), which is everything an anonymous page depends on. A response is stored only when it
is a 200 with a body, rendered for the anonymous actor, carries no `Cache-Control: private`
or `no-store`, and sets no cookie but the language one (which is the same for every visitor
of that URL). Errors (404, 500, ...) are never stored.

Who never touches it: a request with an Authorization header or a session cookie, valid or
not, neither reads nor fills the cache; it is authenticated and rendered as before. A
signed-in page therefore cannot be served to anyone else, and an anonymous page is never
served to a signed-in user.

Security headers: the cached headers are those the route produced; the app's `before_send`
hook (trading.kernel.csp) runs on every replay as on a fresh response, so a cached page gets
the same Content-Security-Policy, nosniff and referrer policy. The policy has no per-response
nonce, so a replayed body stays valid under it.

Freshness: an entry lives DEFAULT_TTL seconds by the clock it is given (the runtime's, so
tests move time by hand). Writes that change what the public sees call
`invalidate_on_commit(session)` inside their transaction (every lot transition in
trading.projects.lifecycle.move, announcements, amendments): every entry is dropped at once
and again when the transaction commits, and a render that began before an invalidation is
not stored, so a page rendered from the rows before a commit never outlives it. Invalidation
is in-process only: with several worker processes, another process serves its own copy until
its TTL runs out, so the TTL is the bound on staleness across processes.

Concurrent misses for one key wait for the first one's render (one render per key and
expiry, not one per client), then get its response if it may be shared. A response served
from the cache carries `X-Cache: hit`.

Why not Litestar's response cache (`cache=` on handlers): it looks the key up after
authentication has run, rebuilds the key after rendering (so an invalidation during the
render goes unnoticed), decides what to store from the status code alone (not the
Set-Cookie headers), and its stores expire entries by the wall clock.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from trading.kernel.clock import Clock
from trading.kernel.i18n import pick_lang
from trading.kernel.web import SESSION_COOKIE

OPT = "public_cache"  # route handler opt key: seconds an anonymous response may be kept
DEFAULT_TTL = 5  # seconds
MAX_ENTRIES = 1024  # distinct URLs kept (query strings come from anyone: bounded)
MAX_BYTES = 64 << 20  # and their bodies together
MAX_BODY = 4 << 20  # a larger response is served but not kept
# Cookies a cached response may set on every visitor: the language chosen by `?lang=`, which
# is part of the key.
REPLAYABLE_COOKIES = frozenset({b"lang"})
HIT_HEADER = (b"x-cache", b"hit")

H = TypeVar("H", bound=HTTPRouteHandler)


def public_cache(handler: H) -> H:
    """Decorator (above `@get`): cache this route's anonymous responses for DEFAULT_TTL s."""
    handler.opt[OPT] = DEFAULT_TTL
    return handler


# ---- invalidation (process-wide) ---------------------------------------------------------------


class _Generation:
    """Bumped on every invalidation; an entry or render of an older generation is stale."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()  # writers may run on another thread's loop (CLI, tests)

    def bump(self) -> None:
        with self._lock:
            self.value += 1


_generation = _Generation()
_DIRTY = "bidhall.public_cache.dirty"


def invalidate() -> None:
    """Drop every cached public page of this process, and any render in flight."""
    _generation.bump()


def invalidate_on_commit(session: AsyncSession | Session) -> None:
    """Inside a write transaction that changes what the public sees: drop cached pages now,
    and again when the transaction commits (a page rendered meanwhile read the old rows)."""
    invalidate()
    session.info[_DIRTY] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        invalidate()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)


# ---- the store ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    stored_at: float
    expires_at: float
    generation: int


class PublicCache:
    """Rendered anonymous responses by key, with their expiry, on one event loop."""

    def __init__(
        self, clock: Clock, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES
    ) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: dict[str, Entry] = {}
        self._bytes = 0
        # One render per (key, generation) at a time; the others wait for its response.
        self._flights: dict[tuple[str, int], asyncio.Future[Entry | None]] = {}
        self.hits = 0
        self.stores = 0

    def now(self) -> float:
        return self.clock.now().timestamp()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        # A clock that went back counts as expired too: the entry's age is unknown.
        if entry.generation != _generation.value or not (
            entry.stored_at <= self.now() < entry.expires_at
        ):
            self._drop(key)
            return None
        return entry

    def _drop(self, key: str) -> None:
        if (entry := self._entries.pop(key, None)) is not None:
            self._bytes -= len(entry.body)

    def put(self, key: str, entry: Entry) -> bool:
        """Keep `entry` unless an invalidation came after its render began."""
        if entry.generation != _generation.value or len(entry.body) > self.max_bytes:
            return False
        self._drop(key)
        size = len(entry.body)
        if len(self._entries) >= self.max_entries or self._bytes + size > self.max_bytes:
            now, current = self.now(), _generation.value
            for old in [
                k
                for k, e in self._entries.items()
                if e.generation != current or not e.expires_at > now
            ]:
                self._drop(old)
            while self._entries and (  # then the oldest stored goes first
                len(self._entries) >= self.max_entries or self._bytes + size > self.max_bytes
            ):
                self._drop(next(iter(self._entries)))
        self._entries[key] = entry
        self._bytes += size
        self.stores += 1
        return True

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


def request_key(scope: Scope) -> str | None:
    """The cache key of an anonymous GET, or None when the request carries credentials.

    Everything `page()` reads of an anonymous request is here: path, query, language (it
    reads no Accept-Language); whatever it comes to read must join the key."""
    request: Request[Any, Any, Any] = Request(scope)  # Litestar's parsing, as the handler's
    if "authorization" in request.headers:
        return None
    cookies = request.cookies
    if SESSION_COOKIE in cookies:
        return None
    lang = pick_lang(request.query_params.get("lang"), cookies.get("lang"))
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{lang} {scope['path']}?{query}"


def _shareable(start: Message, scope: Scope) -> bool:
    """May this response (its start message) be given to every anonymous visitor?"""
    if start["status"] != 200:
        return False
    user = scope.get("user")
    if user is not None and getattr(user, "user_id", None) is not None:
        return False  # rendered for someone: never shared (credentials were checked before)
    for name, value in start.get("headers", ()):
        lowered = name.lower()
        if lowered == b"set-cookie":
            if value.split(b"=", 1)[0].strip() not in REPLAYABLE_COOKIES:
                return False
        elif lowered == b"cache-control" and (b"private" in value or b"no-store" in value):
            return False
    return True


async def _replay(entry: Entry, send: Send) -> None:
    # A fresh headers list each time: the send hooks (CSP) add to it in place.
    headers = [*entry.headers, HIT_HEADER]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})


class PublicCacheMiddleware:
    """ASGI middleware placed before authentication: a hit costs no session lookup at all."""

    def __init__(self, app: ASGIApp, cache: PublicCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ttl = (
            scope["route_handler"].opt.get(OPT)
            if scope["type"] == "http" and scope["method"] == "GET"
            else None
        )
        key = request_key(scope) if ttl else None
        if key is None:
            await self.app(scope, receive, send)
            return
        cache = self.cache
        if (entry := cache.get(key)) is not None:
            cache.hits += 1
            await _replay(entry, send)
            return
        generation = _generation.value
        flight = (key, generation)
        loop = asyncio.get_running_loop()
        leader = cache._flights.get(flight)
        if leader is not None and leader.get_loop() is loop:
            entry = await asyncio.shield(leader)
            if entry is not None:
                cache.hits += 1
                await _replay(entry, send)
            else:  # the first one's response was not for sharing: render our own
                await self.app(scope, receive, send)
            return
        mine: asyncio.Future[Entry | None] = loop.create_future()
        cache._flights[flight] = mine
        entry = None
        try:
            entry = await self._render(scope, receive, send, ttl, generation)
        finally:
            if cache._flights.get(flight) is mine:
                del cache._flights[flight]
            mine.set_result(entry)
        if entry is not None:
            cache.put(key, entry)

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, ttl: int, generation: int
    ) -> Entry | None:
        """Run the route, forwarding every message, and return what may be kept of it."""
        start: Message | None = None
        chunks: list[bytes] = []
        keep = False
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, keep, size
            if message["type"] == "http.response.start":
                # Copied before the send hooks add their headers to the list in place.
                start = {**message, "headers": list(message.get("headers", ()))}
                keep = _shareable(start, scope)
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                keep = size <= MAX_BODY
                chunks.append(body)
            await send(message)

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if start is None or not keep or not body:
            return None
        now = self.cache.now()
        return Entry(
            status=start["status"],
            headers=tuple(start["headers"]),
            body=body,
            stored_at=now,
            expires_at=now + ttl,
            generation=generation,
        )
