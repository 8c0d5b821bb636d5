"""The stored Merkle tree of the audit log (audit_node): kept by append() in the entry's own
transaction, it answers heads and proofs from O(log n) rows, exactly as the full recompute
over the bodies did, and attacks on it are reported instead of signed over."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import merkle
from crypto.errors import ProofError
from crypto.merkle import Node
from trading.audit import heads
from trading.audit import service as audit
from trading.audit.heads import TamperAlarm
from trading.audit.models import AuditEntry, AuditNode, TreeHead
from trading.kernel.actor import SYSTEM
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime


class Boom(Exception):
    pass


async def append(session: AsyncSession, clock: FixedClock, n: int = 1, tag: str = "t") -> None:
    for i in range(n):
        await audit.append(
            session, SYSTEM, "test.event", "test", f"{tag}-{i}", at=clock.now(), detail={"i": i}
        )


async def append_txn(rt: Runtime, clock: FixedClock, n: int = 1, tag: str = "t") -> None:
    async with rt.sessionmaker() as session, writing(session):
        await append(session, clock, n, tag)


async def bodies_leaves(rt: Runtime) -> list[bytes]:
    async with rt.sessionmaker() as session:
        return await audit.leaf_hashes(session)


async def stored_tree(rt: Runtime) -> dict[Node, bytes]:
    async with rt.sessionmaker() as session:
        rows = await session.execute(select(AuditNode.level, AuditNode.idx, AuditNode.hash))
        return {(lv, ix): bytes(h) for lv, ix, h in rows}


def expected_tree(leaves: list[bytes]) -> dict[Node, bytes]:
    """Every complete subtree of the log, each hashed from scratch (the full recompute)."""
    return {
        (level, i): merkle.root(leaves[i << level : (i + 1) << level])
        for level in range(len(leaves).bit_length())
        for i in range(len(leaves) >> level)
    }


def old_inclusion(leaves: list[bytes], seq: int, size: int) -> dict[str, Any]:
    """What GET /proof/inclusion answered before: the full recompute over the bodies."""
    path = merkle.inclusion_proof(seq - 1, leaves[:size])
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": leaves[seq - 1].hex(),
        "audit_path": [p.hex() for p in path],
    }


def old_consistency(leaves: list[bytes], first: int, size: int) -> dict[str, Any]:
    proof = merkle.consistency_proof(first, leaves[:size])
    return {"first": first, "second": size, "proof": [p.hex() for p in proof]}


async def publish(rt: Runtime) -> TreeHead:
    async with rt.sessionmaker() as session, writing(session):
        return await heads.publish_head(session, rt.platform, rt.clock.now())


# ---- the stored tree equals the full recompute ------------------------------------------------


async def test_append_stores_every_subtree_and_proofs_equal_the_full_recompute(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)
    await append_txn(rt, clock, 50)
    leaves = await bodies_leaves(rt)
    n = len(leaves)
    assert n > 64  # several levels, several non-perfect sizes
    assert await stored_tree(rt) == expected_tree(leaves)

    rng = random.Random(9162)
    async with rt.sessionmaker() as session:
        assert await audit.log_size(session) == n
        for size in range(1, n + 1):
            seqs = {1, size, (size + 1) // 2, rng.randint(1, size)}
            for seq in seqs:
                got = await heads.inclusion(session, seq, size)
                # Same keys, same order, same values: the same JSON bytes on the wire.
                assert list(got.items()) == list(old_inclusion(leaves, seq, size).items())
            for first in {0, 1, size // 2, size - 1, size, rng.randint(0, size)}:
                got = await heads.consistency(session, first, size)
                assert list(got.items()) == list(old_consistency(leaves, first, size).items())


async def test_concurrent_appends_and_rollbacks_keep_the_tree_whole(
    rt: Runtime, clock: FixedClock
) -> None:
    async def writer(k: int) -> None:
        async with rt.sessionmaker() as session:
            try:
                async with writing(session):
                    await append(session, clock, 1 + k % 3, tag=f"w{k}")
                    if k % 4 == 0:
                        raise Boom  # the entries and their subtrees go together
            except Boom:
                pass

    before = len(await bodies_leaves(rt))
    await asyncio.gather(*(writer(k) for k in range(24)))
    leaves = await bodies_leaves(rt)
    committed = sum(1 + k % 3 for k in range(24) if k % 4)
    assert len(leaves) == before + committed
    assert await stored_tree(rt) == expected_tree(leaves)
    async with rt.sessionmaker() as session:
        entries = await audit.load_all(session)
    assert audit.chain_errors(entries) == []


# ---- publish_head inside the caller's transaction ---------------------------------------------


async def test_publish_head_signs_inside_the_callers_transaction(
    rt: Runtime, clock: FixedClock
) -> None:
    async with rt.sessionmaker() as session:
        size = await audit.log_size(session)
    # Rolled back with the caller: neither the entry nor the head remains.
    with pytest.raises(Boom):
        async with rt.sessionmaker() as session, writing(session):
            await append(session, clock, 1, tag="rolled-back")
            head = await heads.publish_head(session, rt.platform, clock.now())
            assert head.tree_size == size + 1  # the caller's own entry is covered
            raise Boom
    async with rt.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(TreeHead)) == 0
        assert await audit.log_size(session) == size
    assert await stored_tree(rt) == expected_tree(await bodies_leaves(rt))

    async with rt.sessionmaker() as session, writing(session):
        await append(session, clock, 1, tag="committed")
        head = await heads.publish_head(session, rt.platform, clock.now())
        again = await heads.publish_head(session, rt.platform, clock.now())
        assert again is head  # idempotent while the log has not grown
    leaves = await bodies_leaves(rt)
    sth = heads.head_json(head)
    merkle.verify_tree_head(sth, rt.platform.sign_pub)
    assert (sth["tree_size"], merkle.tree_head_root(sth)) == (len(leaves), merkle.root(leaves))

    # Two publishers racing over the same log: one head per size, both get it.
    await append_txn(rt, clock, 3)
    a, b = await asyncio.gather(publish(rt), publish(rt))
    assert (a.tree_size, a.root) == (b.tree_size, b.root) == (len(leaves) + 3, a.root)
    async with rt.sessionmaker() as session:
        sizes = list(await session.scalars(select(TreeHead.tree_size).order_by("tree_size")))
    assert sizes == [len(leaves), len(leaves) + 3]


async def test_publish_tree_head_and_publish_head_agree(rt: Runtime, clock: FixedClock) -> None:
    await append_txn(rt, clock, 5)
    first = await publish(rt)
    await append_txn(rt, clock, 7)
    async with rt.sessionmaker() as session:
        second = await heads.publish_tree_head(session, rt.platform, clock.now())
    leaves = await bodies_leaves(rt)
    assert second.root == merkle.root(leaves).hex() and second.tree_size == len(leaves)
    async with rt.sessionmaker() as session:
        proof = await heads.consistency(session, first.tree_size, second.tree_size)
    merkle.verify_consistency(
        first.tree_size,
        second.tree_size,
        bytes.fromhex(first.root),
        bytes.fromhex(second.root),
        [bytes.fromhex(p) for p in proof["proof"]],
    )


# ---- cost: proofs read the stored tree, not the log -------------------------------------------


@contextmanager
def statements(rt: Runtime) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((sql, params))

    event.listen(rt.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(rt.engine.sync_engine, "before_cursor_execute", record)


def bound(params: Any) -> int:
    if isinstance(params, dict):
        return len(params)
    return len(params) if isinstance(params, list | tuple) else 0


async def test_proof_cost_does_not_grow_with_the_log(rt: Runtime, clock: FixedClock) -> None:
    async def cost(size: int) -> tuple[int, int]:
        async with rt.sessionmaker() as session:
            await audit.log_size(session)  # connect and begin outside the measurement
            with statements(rt) as seen:
                await heads.inclusion(session, size // 3 + 1, size)
                await heads.consistency(session, size // 3 + 1, size)
        return len(seen), sum(bound(p) for _, p in seen)

    await append_txn(rt, clock, 20)
    small = len(await bodies_leaves(rt))
    small_statements, _ = await cost(small)
    await append_txn(rt, clock, 1100)
    big = len(await bodies_leaves(rt))
    big_statements, big_params = await cost(big)
    assert big_statements == small_statements <= 6
    # Each stored subtree is one bound (level, idx) pair: O(log n) of them, never the log.
    assert big_params <= 8 * big.bit_length() + 10
    assert big_params < big // 10

    # The proofs come from the stored tree: destroying every other body changes nothing.
    async with rt.sessionmaker() as session:
        target = big // 3 + 1
        inclusion = await heads.inclusion(session, target, big)
        consistency = await heads.consistency(session, target, big)
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(update(AuditEntry).where(AuditEntry.seq != target).values(body="{}"))
    async with rt.sessionmaker() as session:
        assert await heads.inclusion(session, target, big) == inclusion
        assert await heads.consistency(session, target, big) == consistency


# ---- attacks on the stored tree ---------------------------------------------------------------


async def test_edited_stored_subtree_in_the_signed_prefix_is_refused(
    rt: Runtime, clock: FixedClock
) -> None:
    await append_txn(rt, clock, 10)
    head = await publish(rt)
    edge = merkle.root_nodes(head.tree_size)
    level, idx = edge[0]
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(AuditNode)
            .where(AuditNode.level == level, AuditNode.idx == idx)
            .values(hash=b"\x00" * 32)
        )
    await append_txn(rt, clock, 2)
    with pytest.raises(TamperAlarm, match=f"signed tree head of size {head.tree_size}"):
        await publish(rt)
    async with rt.sessionmaker() as session:
        assert await heads.latest_head(session) is not None
        assert (await heads.latest_head(session)).tree_size == head.tree_size  # type: ignore[union-attr]


async def test_edited_inner_subtree_makes_served_proofs_fail_for_the_client(
    rt: Runtime, clock: FixedClock
) -> None:
    """A subtree no head's root rests on directly still sits in other leaves' paths: a proof
    served through it does not verify, so the client sees the damage."""
    await append_txn(rt, clock, 40)
    head = await publish(rt)
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(AuditNode)
            .where(AuditNode.level == 1, AuditNode.idx == 0)
            .values(hash=b"\x01" * 32)
        )
    async with rt.sessionmaker() as session:
        proof = await heads.inclusion(session, 3, head.tree_size)  # leaf 2's path uses (1, 0)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            2,
            head.tree_size,
            [bytes.fromhex(p) for p in proof["audit_path"]],
            bytes.fromhex(head.root),
        )


async def test_missing_stored_subtree_is_a_conflict_not_a_wrong_proof(
    rt: Runtime, clock: FixedClock
) -> None:
    await append_txn(rt, clock, 8)
    head = await publish(rt)
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(delete(AuditNode).where(AuditNode.level == 0, AuditNode.idx == 1))
    async with rt.sessionmaker() as session:
        with pytest.raises(TamperAlarm, match=r"lacks subtree \(0, 1\)"):
            await heads.inclusion(session, 1, head.tree_size)


@pytest.mark.parametrize("what", ["body", "stored leaf"])
async def test_unsigned_tail_is_signed_as_its_bodies_stand_and_the_tree_rebuilt(
    rt: Runtime, clock: FixedClock, caplog: pytest.LogCaptureFixture, what: str
) -> None:
    await append_txn(rt, clock, 6)
    first = await publish(rt)
    await append_txn(rt, clock, 9, tag="tail")
    victim = first.tree_size + 4
    async with rt.sessionmaker() as session, session.begin():
        if what == "body":
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == victim).values(body='{"edited":1}')
            )
        else:
            await session.execute(
                update(AuditNode)
                .where(AuditNode.level == 0, AuditNode.idx == victim - 1)
                .values(hash=b"\x02" * 32)
            )
    with caplog.at_level(logging.WARNING, logger="bidhall.audit"):
        second = await publish(rt)
    assert "rebuilt from the bodies" in caplog.text
    leaves = await bodies_leaves(rt)
    assert second.root == merkle.root(leaves).hex()  # what an outside verifier recomputes
    assert await stored_tree(rt) == expected_tree(leaves)
    async with rt.sessionmaker() as session:
        for seq in range(1, second.tree_size + 1):
            proof = await heads.inclusion(session, seq, None)
            merkle.verify_inclusion(
                bytes.fromhex(proof["leaf_hash"]),
                seq - 1,
                second.tree_size,
                [bytes.fromhex(p) for p in proof["audit_path"]],
                bytes.fromhex(second.root),
            )


async def test_gap_in_the_unsigned_tail_is_refused(rt: Runtime, clock: FixedClock) -> None:
    await append_txn(rt, clock, 4)
    first = await publish(rt)
    await append_txn(rt, clock, 5, tag="tail")
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == first.tree_size + 2))
    with pytest.raises(TamperAlarm, match=f"entry {first.tree_size + 2} is missing"):
        await publish(rt)


async def test_truncated_and_regrown_log_keeps_appending_but_is_not_signed(
    rt: Runtime, clock: FixedClock
) -> None:
    """Rolling the signed tail back leaves its stored subtrees behind; appending over them
    still works (no integrity error stops the platform), and the head refuses the new log."""
    await append_txn(rt, clock, 9)
    head = await publish(rt)
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(delete(AuditEntry).where(AuditEntry.seq > head.tree_size - 3))
    await append_txn(rt, clock, 5, tag="regrown")
    assert await stored_tree(rt) == expected_tree(await bodies_leaves(rt))
    with pytest.raises(TamperAlarm, match="stored tree hashes differ"):
        await publish(rt)
    async with rt.sessionmaker() as session:
        with pytest.raises(TamperAlarm, match="bodies give another root"):
            await heads.check_signed_prefix(session, head)
