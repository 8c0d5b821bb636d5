"""`bidhall audit check-chain` streams the log in pages, in constant memory, and checks the
hash chain across page boundaries, the stored Merkle tree (every subtree) and every signed
head against what the entries give. Each attack edits the database behind the log's back."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest
from sqlalchemy import delete, update

from crypto import merkle
from trading.audit import heads
from trading.audit import service as audit
from trading.audit import sweep as sweep_module
from trading.audit.models import AuditEntry, AuditNode, TreeHead
from trading.audit.sweep import sweep
from trading.kernel.actor import SYSTEM
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime

PAGE = 7  # small pages: every attack below sits near a page boundary


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_module, "PAGE", PAGE)


async def append(rt: Runtime, clock: FixedClock, n: int, tag: str = "t") -> None:
    async with rt.sessionmaker() as session, writing(session):
        for i in range(n):
            await audit.append(
                session, SYSTEM, "test.event", "test", f"{tag}-{i}", at=clock.now(), detail={"i": i}
            )


async def publish(rt: Runtime) -> TreeHead:
    async with rt.sessionmaker() as session:
        return await heads.publish_tree_head(session, rt.platform, rt.clock.now())


async def check(rt: Runtime) -> sweep_module.Sweep:
    async with rt.sessionmaker() as session:
        return await sweep(session, rt.platform.sign_pub)


async def whole_log_errors(rt: Runtime) -> list[str]:
    async with rt.sessionmaker() as session:
        return audit.chain_errors(await audit.load_all(session))


async def world(rt: Runtime, clock: FixedClock) -> list[TreeHead]:
    await append(rt, clock, 3 * PAGE + 2)
    first = await publish(rt)
    await append(rt, clock, 2 * PAGE + 1, tag="u")
    return [first, await publish(rt)]


async def test_an_honest_log_passes_in_pages(
    rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, bidhall: Any
) -> None:
    heads = await world(rt, clock)
    await append(rt, clock, 3, tag="unsigned tail")
    result = await check(rt)
    async with rt.sessionmaker() as session:
        size = await audit.log_size(session)
    assert (result.entries, result.heads, result.problems) == (size, 2, 0)
    assert size > 5 * PAGE and heads[-1].tree_size < size

    monkeypatch.setenv("BIDHALL_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("BIDHALL_KEY_DIR", str(rt.settings.key_dir))
    monkeypatch.setenv("BIDHALL_BLOB_DIR", str(rt.settings.blob_dir))
    ran = await bidhall("audit", "check-chain")
    assert ran.code == 0, ran.err
    assert ran.out.strip() == (
        f"audit chain intact: {size} entries; stored tree and 2 signed tree head(s) match"
    )

    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(AuditEntry).where(AuditEntry.seq == 2 * PAGE).values(body='{"forged":1}')
        )
    ran = await bidhall("audit", "check-chain")
    assert ran.code == 2 and len(ran.err.strip().splitlines()) == 1, ran.err
    assert f"audit chain broken: entry {2 * PAGE}: expected sequence number" in ran.err


@pytest.mark.parametrize(
    "attack",
    [
        "edit a body at a page's end",
        "edit the first body of a page",
        "delete the last entry of a page",
        "swap two entries across pages",
        "edit a column",
    ],
)
async def test_chain_breaks_across_page_boundaries_are_found_as_in_memory(
    rt: Runtime, clock: FixedClock, attack: str
) -> None:
    await world(rt, clock)
    boundary = 2 * PAGE  # the last entry of the second page
    async with rt.sessionmaker() as session, session.begin():
        if attack == "edit a body at a page's end":
            victim = await session.get(AuditEntry, boundary)
            assert victim is not None
            await session.execute(
                update(AuditEntry)
                .where(AuditEntry.seq == boundary)
                .values(body=victim.body.replace('"ip":""', '"ip":"10.0.0.1"'))
            )
        elif attack == "edit the first body of a page":
            victim = await session.get(AuditEntry, boundary + 1)
            assert victim is not None
            await session.execute(
                update(AuditEntry)
                .where(AuditEntry.seq == boundary + 1)
                .values(body=victim.body.replace('"ip":""', '"ip":"10.0.0.1"'))
            )
        elif attack == "delete the last entry of a page":
            await session.execute(delete(AuditEntry).where(AuditEntry.seq == boundary))
        elif attack == "swap two entries across pages":
            a, b = (
                await session.get(AuditEntry, boundary),
                await session.get(AuditEntry, boundary + 1),
            )
            assert a is not None and b is not None
            body_a, body_b = a.body, b.body
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == boundary).values(body=body_b)
            )
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == boundary + 1).values(body=body_a)
            )
        else:
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == boundary).values(action="lot.award")
            )
    expected = await whole_log_errors(rt)
    assert expected  # the in-memory check sees it...
    result = await check(rt)
    assert result.chain.kept == expected[: sweep_module.KEEP]  # ...and so does every page
    assert result.chain.count == len(expected)
    if attack != "edit a column":  # the column is not hashed: the tree cannot see it
        assert result.tree.count > 0  # the bodies no longer give the stored tree and heads


@pytest.mark.parametrize("what", ["inner subtree", "stored leaf", "missing subtree"])
async def test_a_damaged_stored_tree_is_found(rt: Runtime, clock: FixedClock, what: str) -> None:
    """The chain alone cannot see these: the bodies are intact, proofs served would fail."""
    await world(rt, clock)
    async with rt.sessionmaker() as session, session.begin():
        if what == "inner subtree":
            await session.execute(
                update(AuditNode)
                .where(AuditNode.level == 2, AuditNode.idx == 3)
                .values(hash=b"\x07" * 32)
            )
        elif what == "stored leaf":
            await session.execute(
                update(AuditNode)
                .where(AuditNode.level == 0, AuditNode.idx == PAGE)
                .values(hash=b"\x07" * 32)
            )
        else:
            await session.execute(
                delete(AuditNode).where(AuditNode.level == 1, AuditNode.idx == PAGE)
            )
    assert await whole_log_errors(rt) == []
    result = await check(rt)
    assert result.chain.count == 0 and result.tree.count == 1
    assert (
        result.first()
        == {
            "inner subtree": "stored subtree (2, 3) differs from the entries",
            "stored leaf": f"stored subtree (0, {PAGE}) differs from the entries",
            "missing subtree": (
                f"stored tree lacks subtree (1, {PAGE}) (entries from {2 * PAGE + 1})"
            ),
        }[what]
    )


async def test_forged_heads_are_found(rt: Runtime, clock: FixedClock) -> None:
    first, second = await world(rt, clock)
    async with rt.sessionmaker() as session, session.begin():
        # A statement whose root is not the log's, and one whose signature is not the
        # platform's (both as the API would serve them).
        other = merkle.leaf_hash(b"x").hex()
        await session.execute(
            update(TreeHead)
            .where(TreeHead.tree_size == first.tree_size)
            .values(sth=first.sth.replace(first.root, other), root=other)
        )
        await session.execute(
            update(TreeHead)
            .where(TreeHead.tree_size == second.tree_size)
            .values(sth=second.sth.replace(second.signature, "A" * len(second.signature)))
        )
    result = await check(rt)
    assert result.chain.count == 0 and result.heads == 2
    assert result.tree.kept[0] == (
        f"signed tree head of size {first.tree_size}: the entries give another root"
        " (entries were edited, deleted or reordered)"
    )
    assert result.tree.kept[1].startswith(f"signed tree head of size {first.tree_size}: tree head")
    assert result.tree.kept[2].startswith(
        f"signed tree head of size {second.tree_size}: tree head signature invalid"
    )
    assert result.tree.count == 3

    # A head larger than the log: its last entries were deleted.
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(delete(AuditEntry).where(AuditEntry.seq > second.tree_size - 2))
    result = await check(rt)
    assert (
        f"signed tree head of size {second.tree_size} covers more than the"
        f" {second.tree_size - 2} entries the log has"
    ) in result.tree.kept


async def test_memory_does_not_grow_with_the_log(rt: Runtime, clock: FixedClock) -> None:
    """Peak Python memory of the sweep depends on the page, not on how long the log is: with
    1,200 more entries (171 more pages) it stays within what keeping even one leaf hash per
    entry would cost (65 bytes each, 78 KB); what varies is the garbage collector's timing."""

    async def peak() -> int:
        await check(rt)  # statements compiled and cached
        gc.collect()
        tracemalloc.start()
        try:
            result = await check(rt)
            assert result.problems == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    await append(rt, clock, 200)
    await publish(rt)
    small = await peak()
    await append(rt, clock, 1200, tag="long")
    await publish(rt)
    large = await peak()
    assert large - small < 40_000, (small, large)
