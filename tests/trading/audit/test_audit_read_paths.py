"""Heads are worked out before the write lock, and the public listing pages by seq over a
bounded window: no request, and no write transaction, walks the whole log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from tests.support.clients import Client
from trading.audit import heads
from trading.audit import service as audit
from trading.audit.models import AuditEntry, TreeHead
from trading.kernel import db
from trading.kernel.actor import SYSTEM
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot


async def append(rt: Runtime, clock: FixedClock, n: int, tag: str = "t") -> None:
    async with rt.sessionmaker() as session, writing(session):
        for i in range(n):
            await audit.append(
                session, SYSTEM, "test.event", "test", f"{tag}-{i}", at=clock.now(), detail={}
            )


@contextmanager
def traced(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any, bool]]]:
    """Every statement, its parameters, and whether it ran inside publishing's write
    transaction (the log's lock is taken there)."""
    seen: list[tuple[str, Any, bool]] = []
    inside = False

    @asynccontextmanager
    async def tracked(session: AsyncSession) -> AsyncIterator[AsyncSession]:
        nonlocal inside
        async with db.writing(session):
            inside = True
            try:
                yield session
            finally:
                inside = False

    def record(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((sql, params, inside))

    monkeypatch.setattr(heads, "writing", tracked)
    event.listen(rt.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(rt.engine.sync_engine, "before_cursor_execute", record)


async def test_a_head_is_worked_out_before_the_write_lock(
    rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await append(rt, clock, 20)
    async with rt.sessionmaker() as session:
        await heads.publish_tree_head(session, rt.platform, clock.now())
    await append(rt, clock, 300, tag="tail")  # the unsigned tail is hashed again: not locked
    with traced(rt, monkeypatch) as seen:
        async with rt.sessionmaker() as session:
            head = await heads.publish_tree_head(session, rt.platform, clock.now())
    async with rt.sessionmaker() as session:
        leaves = await audit.leaf_hashes(session)
    assert (head.tree_size, head.root) == (len(leaves), merkle.root(leaves).hex())
    outside = [sql for sql, _, locked in seen if not locked]
    locked = [(sql, params) for sql, params, is_locked in seen if is_locked]
    assert any("audit_entry.body" in sql for sql in outside)  # the tail, read before
    assert not any("audit_entry.body" in sql for sql, _ in locked)
    # Under the lock: one insert conditional on the latest head (after PostgreSQL's lock).
    statements = [sql for sql, _ in locked if "pg_advisory_xact_lock" not in sql]
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO tree_head"), statements
    assert "max(tree_head.tree_size)" in statements[0]


@pytest.mark.parametrize("grows", [False, True], ids=["same-size", "log-grew"])
async def test_a_head_planned_before_another_publishers_is_not_inserted_over_it(
    rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, grows: bool
) -> None:
    """Another publisher signs between the plan and the lock: the compare-and-set misses,
    and the late publisher returns the head that covers its plan or signs a newer one."""
    await append(rt, clock, 30)
    async with rt.sessionmaker() as session:
        first = (await heads.publish_tree_head(session, rt.platform, clock.now())).tree_size
    await append(rt, clock, 7, tag="tail")
    competitor: list[int] = []

    @asynccontextmanager
    async def after_a_competitor(session: AsyncSession) -> AsyncIterator[AsyncSession]:
        if not competitor:  # the late publisher's first write transaction: another came first
            monkeypatch.setattr(heads, "writing", db.writing)
            if grows:
                await append(rt, clock, 3, tag="meanwhile")
            async with rt.sessionmaker() as other:
                competitor.append(
                    (await heads.publish_tree_head(other, rt.platform, clock.now())).tree_size
                )
            monkeypatch.setattr(heads, "writing", after_a_competitor)
        async with db.writing(session):
            yield session

    monkeypatch.setattr(heads, "writing", after_a_competitor)
    async with rt.sessionmaker() as session:
        head = await heads.publish_tree_head(session, rt.platform, clock.now())
    async with rt.sessionmaker() as session:
        sizes = list(await session.scalars(select(TreeHead.tree_size).order_by(TreeHead.tree_size)))
        leaves = await audit.leaf_hashes(session)
    assert competitor == [first + 7 + 3 * grows] and len(leaves) == competitor[0]
    assert sizes[-2:] == [first, competitor[0]]  # no second head of the planned size
    assert head.tree_size == competitor[0]
    assert head.root == merkle.root(leaves).hex()


async def test_publishers_racing_appenders_sign_one_consistent_history(
    rt: Runtime, clock: FixedClock
) -> None:
    async def publisher() -> None:
        for _ in range(4):
            async with rt.sessionmaker() as session:
                await heads.publish_tree_head(session, rt.platform, clock.now())

    await asyncio.gather(
        publisher(), publisher(), *(append(rt, clock, 15, tag=f"w{k}") for k in range(4))
    )
    async with rt.sessionmaker() as session:
        await heads.publish_tree_head(session, rt.platform, clock.now())
        stored = list(await session.scalars(select(TreeHead).order_by(TreeHead.tree_size)))
        leaves = await audit.leaf_hashes(session)
    assert stored[-1].tree_size == len(leaves)
    for head in stored:
        merkle.verify_tree_head(heads.head_json(head), rt.platform.sign_pub)
        assert head.root == merkle.root(leaves[: head.tree_size]).hex()


async def test_the_public_listing_pages_a_bounded_window(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = await publish_lot(title="已开标")
    await append(rt, clock, 23, tag="between")  # a stretch with nothing public
    sealed = await publish_lot(title="未开标")
    later = await publish_lot(title="也已开标")
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lot).where(Lot.id.in_([opened.id, later.id])).values(state="failed")
        )
        size = await audit.log_size(session)
        expected = list(
            await session.scalars(
                select(AuditEntry.seq)
                .where(
                    AuditEntry.target_type == "lot",
                    AuditEntry.target_id.in_([str(opened.id), str(later.id)]),
                )
                .order_by(AuditEntry.seq)
            )
        )
    assert expected and sealed.id not in (opened.id, later.id)

    monkeypatch.setattr(audit, "PUBLIC_SCAN", 5)
    got: list[int] = []
    start, requests = 1, 0
    while True:
        r = await client.get("/api/v1/audit/entries/public", params={"start": start, "limit": 2})
        assert r.status_code == 200, r.text
        requests += 1
        page = [e["seq"] for e in r.json()]
        assert len(page) <= 2 and all(start <= s < start + 5 for s in page)
        got.extend(page)
        following = r.headers.get("X-Next-Start")
        if following is None:
            break
        assert int(following) > start
        start = int(following)
    assert got == expected
    assert start + 5 > size and requests >= size // 5  # the windows walked, none skipped

    # One entry's own page: public for an opened lot, not for the sealed one or others.
    public_seq = expected[0]
    async with rt.sessionmaker() as session:
        sealed_entry = await session.scalar(
            select(AuditEntry.seq).where(
                AuditEntry.target_type == "lot", AuditEntry.target_id == str(sealed.id)
            )
        )
    assert (await client.get(f"/api/v1/audit/entries/{public_seq}")).status_code == 200
    assert (await client.get(f"/api/v1/audit/entries/{sealed_entry}")).status_code == 404
    assert (await client.get("/api/v1/audit/entries/1")).status_code == 404
