"""Staff starting an opening by hand are who the log names, whether refused or not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime


async def last(rt: Runtime, action: str) -> AuditEntry | None:
    async with rt.sessionmaker() as session:
        return await session.scalar(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq.desc())
        )


async def test_the_log_names_the_staff_member_who_started_the_opening(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    staff = await bearer(client, "staff-450100")
    early = await client.post(f"/api/v1/lots/{lot.id}/opening", headers=staff)
    assert early.status_code == 409
    refused = await last(rt, "opening.early_refused")
    assert refused is not None and refused.actor == "staff-450100"

    clock.advance(lot.bid_deadline - clock.now() + timedelta(seconds=1))
    started = await client.post(f"/api/v1/lots/{lot.id}/opening", headers=staff)
    assert started.status_code == 202, started.text
    entry = await last(rt, "opening.start")
    assert entry is not None and entry.actor == "staff-450100" and entry.role == "staff"
