"""The audit log is hash-linked: editing, deleting or reordering any entry is detected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from trading.audit.models import AuditEntry
from trading.audit.service import chain_errors, load_all
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime


async def entries(rt: Runtime) -> list[AuditEntry]:
    async with rt.sessionmaker() as session:
        return await load_all(session)


async def build_history(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(hours=1))
    await bid(lot)


async def test_chain_intact_after_real_activity(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    await build_history(rt, clock, publish_lot, bid)
    log = await entries(rt)
    assert len(log) > 20 and [e.seq for e in log] == list(range(1, len(log) + 1))
    assert chain_errors(log) == []
    assert {"lot.publish", "bid.submit", "project.register"} <= {e.action for e in log}


async def test_edited_entry_detected(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    await build_history(rt, clock, publish_lot, bid)
    async with rt.sessionmaker() as session, session.begin():
        victim = await session.scalar(select(AuditEntry).where(AuditEntry.action == "bid.submit"))
        assert victim is not None
        forged = victim.body.replace('"bid.submit"', '"bid.withdraw"')
        await session.execute(
            update(AuditEntry).where(AuditEntry.seq == victim.seq).values(body=forged)
        )
    errors = chain_errors(await entries(rt))
    assert any("does not match its hash" in e for e in errors)


async def test_rehashed_edit_breaks_the_link(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    """An attacker who also recomputes the edited entry's hash still breaks the next link."""
    import hashlib

    await build_history(rt, clock, publish_lot, bid)
    async with rt.sessionmaker() as session, session.begin():
        victim = await session.scalar(select(AuditEntry).where(AuditEntry.seq == 5))
        assert victim is not None
        forged = victim.body.replace('"ip":""', '"ip":"10.0.0.1"')
        assert forged != victim.body
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == 5)
            .values(body=forged, entry_hash=hashlib.sha256(forged.encode()).hexdigest())
        )
    errors = chain_errors(await entries(rt))
    assert errors == ["entry 6: not linked to the previous entry"]


async def test_deleted_entry_detected(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    await build_history(rt, clock, publish_lot, bid)
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == 10))
    errors = chain_errors(await entries(rt))
    assert any("expected sequence number 10" in e for e in errors)


async def test_reordered_entries_detected(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    await build_history(rt, clock, publish_lot, bid)
    log = await entries(rt)
    log[7], log[8] = log[8], log[7]
    assert chain_errors(log)


async def test_refused_attempts_are_logged(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    import pytest

    from bidding.opening.flows import run_opening
    from trading.kernel.errors import Conflict

    lot = await publish_lot()
    with pytest.raises(Conflict):
        await run_opening(rt, lot.id)
    actions = [e.action for e in await entries(rt)]
    assert actions[-1] == "opening.early_refused"
    assert chain_errors(await entries(rt)) == []
