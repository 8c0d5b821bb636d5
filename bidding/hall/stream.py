"""The hall's server-sent events: state snapshots, prices only once the record is out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bidding.hall import events
from bidding.hall.state import online_usccs, org_usccs, snapshot
from bidding.opening.models import Opening
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.errors import NotFound
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot, Project
from trading.projects.service import get_lot

HEARTBEAT_SECONDS = 15.0


RETRY_MS = 3000


@get("/lots/{lot_id:int}/hall/events", name="hall_events")
async def hall_events(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
) -> ServerSentEvent:
    await get_lot(db_session, lot_id, request.user)  # drafts stay invisible
    actor = request.user
    org_id = actor.org_id if actor.has(Role.BIDDER) else None
    return ServerSentEvent(
        _stream(rt, lot_id, org_id),
        retry_duration=RETRY_MS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _message(
    kind: str, data: dict[str, Any], event_id: int | None = None
) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        event=kind, data=json.dumps(data, ensure_ascii=False, separators=(",", ":")), id=event_id
    )


async def _read_snapshot(rt: Runtime, lot_id: int) -> tuple[dict[str, Any], dict[int, str]]:
    async with rt.sessionmaker() as session:
        lot = await session.scalar(
            select(Lot)
            .where(Lot.id == lot_id)
            .options(selectinload(Lot.project).selectinload(Project.center))
        )
        if lot is None:
            raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
        state = await snapshot(session, lot, rt.settings, rt.clock.now())
        opening = await session.get(Opening, lot_id)
        usccs = org_usccs(opening) if opening is not None else {}
    return state, usccs


def _stable(state: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot worth resending when it changed (not the clock, not presence)."""
    return {k: v for k, v in state.items() if k not in ("now", "presence", "online")}


async def _stream(rt: Runtime, lot_id: int, org_id: int | None) -> AsyncIterator[Any]:
    # Subscribe before reading the snapshot: nothing committed in between is missed.
    async with events.subscribe(lot_id) as sub:
        events.presence.enter(lot_id, org_id)
        try:
            state, usccs = await _read_snapshot(rt, lot_id)
            yield _message(events.SNAPSHOT, state)
            last = _stable(state)
            while True:
                event: events.LotEvent | None
                try:
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        event = await sub.next()
                except TimeoutError:
                    state, usccs = await _read_snapshot(rt, lot_id)
                    if _stable(state) != last:
                        last = _stable(state)
                        yield _message(events.SNAPSHOT, state)
                    else:
                        yield ServerSentEventMessage(comment="keep-alive")
                    continue
                if event is None:
                    return  # dropped for being too slow; the browser reconnects to a snapshot
                data = {**event.data, "at": rt.clock.now().isoformat()}  # the server's time
                if event.kind == events.PRESENCE and usccs:
                    # Once the record is out, names are public: say which bidders are here.
                    data = {**data, "online": online_usccs(usccs, lot_id)}
                yield _message(event.kind, data, event.id)
                if event.kind == events.RECORD:
                    # Then what came with the record: the response window, who is online.
                    state, usccs = await _read_snapshot(rt, lot_id)
                    last = _stable(state)
                    yield _message(events.SNAPSHOT, state)
        finally:
            events.presence.leave(lot_id, org_id)


ROUTES = [hall_events]
