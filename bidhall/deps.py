"""Litestar dependencies: what a handler needs, declared by name in its signature and
registered once in the app factory (handlers never look the runtime up themselves)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.keys import Identity
from trading.centers.scope import CenterScope, visible_centers
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.runtime import Context, Runtime


def provide_rt(state: State) -> Runtime:
    return state.rt  # type: ignore[no-any-return]


def provide_settings(rt: Runtime) -> Settings:
    return rt.settings


def provide_clock(rt: Runtime) -> Clock:
    return rt.clock


def provide_blobs(rt: Runtime) -> LocalBlobStore:
    return rt.blobs


def provide_platform(rt: Runtime) -> Identity:
    return rt.platform


def provide_ctx(rt: Runtime) -> Context:
    """The clock read once per request, with the stores a service needs."""
    return rt.context()


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return request.user  # type: ignore[no-any-return]


async def provide_center_scope(db_session: AsyncSession, actor: Actor) -> CenterScope:
    """What the actor may see in which center (`scope` itself is Litestar's ASGI scope)."""
    return await visible_centers(db_session, actor)


DEPENDENCIES: dict[str, Provide] = {
    "rt": Provide(provide_rt, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "blobs": Provide(provide_blobs, sync_to_thread=False),
    "platform": Provide(provide_platform, sync_to_thread=False),
    "ctx": Provide(provide_ctx, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "center_scope": Provide(provide_center_scope),
}
