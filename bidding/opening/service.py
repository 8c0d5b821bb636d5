"""The opening: custody release, key recovery, decryption of each bid, outcomes recorded."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bidding.hall import events
from bidding.opening.decryption import (
    Sealed,
    decide_all,
    decide_all_at,
    ready,
    record_outcomes,
)
from bidding.opening.lease import drop_lease, renew_lease, take_lease
from bidding.opening.models import Opening, ReleasedShare
from bidding.opening.record import SYSTEM_OPENER, publish_record
from bidding.opening.shares import parse_release
from bidding.opening.window import decide_unopened, decrypt_window, window_over
from bidding.submission.models import Bid, BidStatus
from bidding.submission.service import refuse_attempt
from crypto import custody
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.labels import envelope_lot_id
from trading.announcements import builders as announcements
from trading.audit import heads
from trading.audit import service as audit
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound
from trading.kernel.runtime import Context
from trading.parties.models import Organization
from trading.projects import lifecycle
from trading.projects.models import Lot, Project
from trading.projects.publishing import effective_ruleset
from trading.rules.engine import check_bid_count

log = logging.getLogger("bidhall.openings")

BATCH = 200  # outcomes recorded per write transaction: a crash loses at most one batch's work
CHUNK = 10  # bids per task handed to a decryption worker (BATCH is a multiple of it)
_threads: ThreadPoolExecutor | None = None
_processes: ProcessPoolExecutor | None = None


def decryptors(settings: Settings) -> Executor:
    """The process's decryption workers: `decrypt_processes` worker processes, or threads
    (AES-GCM and hashing release the GIL there; X25519 does not)."""
    global _threads, _processes
    if settings.decrypt_processes > 0:
        if _processes is None:
            _processes = ProcessPoolExecutor(
                settings.decrypt_processes, mp_context=multiprocessing.get_context("spawn")
            )
        return _processes
    if _threads is None:
        _threads = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="opening")
    return _threads


async def start_decryptors(settings: Settings) -> None:
    """At the server's start, before it serves: spawn the worker processes and let them import
    the envelope code, so the first opening does not wait for them (a pool spawns lazily)."""
    if settings.decrypt_processes > 0:
        pool = decryptors(settings)
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(pool, ready) for _ in range(settings.decrypt_processes))
        )


def stop_decryptors() -> None:
    global _processes
    if _processes is not None:
        _processes.shutdown(wait=False, cancel_futures=True)
        _processes = None


async def _lot_for_update(session: AsyncSession, lot_id: int) -> Lot:
    lot = await session.scalar(
        select(Lot)
        .where(Lot.id == lot_id)
        .options(selectinload(Lot.project).selectinload(Project.center))
    )
    if lot is None:
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    return lot


async def start_opening(session: AsyncSession, lot_id: int, actor: Actor, ctx: Context) -> LotState:
    """Close submissions at the deadline and open the decryption window; idempotent.

    Holds the lot like every admission does (lifecycle.hold_for_bidding), so the snapshot taken
    here is the final list of bids: the opening decides exactly those.
    """
    lot = await _lot_for_update(session, lot_id)
    if lot.state != LotState.ANNOUNCED:
        return LotState(lot.state)
    if ctx.now < lot.bid_deadline:
        await refuse_attempt(
            session, actor, "opening.early_refused", lot, ctx.now, "before the deadline"
        )
        raise Conflict("开标时间未到，拒绝提前开标 / opening before the bid deadline is refused")
    async with writing(session):
        await lifecycle.hold_for_opening(session, lot.id)
        await session.refresh(lot)
        if lot.state != LotState.ANNOUNCED:  # another trigger opened it while we waited
            return LotState(lot.state)
        state, too_few, count = await _take_snapshot(session, lot, actor, ctx)
    if too_few is not None:
        events.publish(lot.id, events.STATE, {"state": LotState.FAILED, "reason": too_few})
    else:
        events.publish(lot.id, events.STATE, {"state": LotState.OPENING, "bids": count})
    return state


async def _take_snapshot(
    session: AsyncSession, lot: Lot, actor: Actor, ctx: Context
) -> tuple[LotState, str | None, int]:
    bids = list(
        await session.scalars(
            select(Bid)
            .where(Bid.lot_id == lot.id, Bid.status == BidStatus.ACTIVE)
            .order_by(Bid.received_at, Bid.id)
        )
    )
    snapshot = [
        {
            "bid_id": b.id,
            "bidder_org_id": b.bidder_org_id,
            "version": b.version,
            "sha256": b.ciphertext_sha256,
            "size": b.size,
            "received_at": b.received_at.isoformat(),
        }
        for b in bids
    ]
    ruleset = effective_ruleset(lot.project, lot.project.center, ctx.settings)
    too_few = check_bid_count(len(bids), ruleset)
    center_id = lot.project.center_id
    if too_few is not None:
        await lifecycle.move(
            session,
            lot,
            LotState.FAILED,
            actor,
            now=ctx.now,
            action="opening.failed",
            center_id=center_id,
            detail={"bids": snapshot, "rule": str(too_few)},
            values={"failure_reason": str(too_few)},
        )
        # Published with the move (法 28, 条例 44): the public learns why there is no opening.
        await announcements.failure_at_deadline(
            session, lot, actor, at=ctx.now, project=lot.project, ruleset=ruleset, bids=len(bids)
        )
        return LotState.FAILED, str(too_few), len(bids)
    await lifecycle.move(
        session,
        lot,
        LotState.OPENING,
        actor,
        now=ctx.now,
        action="opening.start",
        center_id=center_id,
        detail={"bids": snapshot},
    )
    session.add(
        Opening(
            lot_id=lot.id,
            started_at=ctx.now,
            bid_snapshot=snapshot,
            decrypt_ends_at=ctx.now + decrypt_window(ruleset, lot.decrypt_window_minutes),
        )
    )
    # Signed in the same transaction: the set of sealed bids is fixed in public before any
    # custodian can release a share (shares are accepted only once this commits).
    await heads.publish_head(session, ctx.platform, ctx.now)
    return LotState.OPENING, None, len(bids)


async def release_share(
    session: AsyncSession, lot_id: int, actor: Actor, share: dict[str, Any], ctx: Context
) -> LotState:
    """A custodian releases its share; with k shares the key is recovered and bids decrypted."""
    lot = await _lot_for_update(session, lot_id)
    custodians = (lot.custody or {}).get("custodians", [])
    if not actor.has(Role.CUSTODIAN) or actor.user_id not in custodians:
        raise Forbidden("您不是本标段的开标密钥保管人 / you hold no key share for this lot")
    if lot.state == LotState.ANNOUNCED or ctx.now < lot.bid_deadline:
        await refuse_attempt(
            session, actor, "opening.share_early_refused", lot, ctx.now, "before the deadline"
        )
        raise Conflict("开标时间未到，不接受密钥分片 / key shares are accepted only at the opening")
    if lot.state != LotState.OPENING:
        return LotState(lot.state)
    released = parse_release(lot, actor.user_id, share)  # 422 with a sentence, nothing kept
    async with writing(session):
        exists = await session.scalar(
            select(ReleasedShare.id).where(
                ReleasedShare.lot_id == lot.id, ReleasedShare.custodian_id == actor.user_id
            )
        )
        if exists is None:
            session.add(
                ReleasedShare(
                    lot_id=lot.id,
                    custodian_id=actor.user_id or 0,
                    share=released.to_dict(),
                    released_at=ctx.now,
                )
            )
            await audit.append(
                session,
                actor,
                "opening.share_released",
                "lot",
                lot.id,
                at=ctx.now,
                center_id=lot.project.center_id,
                detail={"share_index": released.index},
            )
            await session.flush()
            count = await session.scalar(
                select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot.id)
            )
    if exists is None:
        events.publish(
            lot.id,
            events.SHARE,
            {
                "released": count or 0,
                "threshold": int((lot.custody or {}).get("threshold", 1)),
                "custodians": len(custodians),
            },
        )
    return LotState.OPENING


async def advance_opening(
    session: AsyncSession, lot_id: int, ctx: Context, *, owner: str
) -> LotState:
    """Recover the key when enough shares are in, decrypt what is pending, publish the record.

    Runs as a background job (bidding.opening.flows) under a per-lot lease, so exactly one runner
    works on a lot at a time across processes; each bid is decided by compare-and-set and each
    step commits on its own, so it is safe to call any number of times and after a crash.
    """
    if not await take_lease(session, lot_id, owner, ctx.clock):
        log.info("lot %s: another runner holds the opening; nothing to do here", lot_id)
        return LotState.OPENING
    try:
        # Read under the lease: a runner that held it before us may have finished the lot.
        lot = await _lot_for_update(session, lot_id)
        await session.refresh(lot)
        if lot.state != LotState.OPENING:
            return LotState(lot.state)
        return await _advance(session, lot, ctx, owner)
    except Conflict as exc:  # the lot moved under us: someone else finished it
        log.info("lot %s: opening already settled elsewhere (%s)", lot_id, exc.message)
        await session.rollback()
        return LotState((await _lot_for_update(session, lot_id)).state)
    finally:
        await drop_lease(session, lot_id, owner)


async def _advance(session: AsyncSession, lot: Lot, ctx: Context, owner: str) -> LotState:
    opening = await session.get(Opening, lot.id, populate_existing=True)
    if opening is None:
        raise NotFound(f"标段 {lot.id} 的开标记录缺失 / opening row missing")
    pending = await _pending(session, opening)
    if pending:
        if opening.opening_priv is None and not await _recover_key(session, lot, opening, ctx):
            # No custodians' key: wait for it or for the bidders, until the window ends.
            if not window_over(opening, ctx.now):
                return LotState.OPENING
            if not await decide_unopened(session, lot, opening, pending, ctx, owner):
                return LotState.OPENING
            return await publish_record(session, lot, opening, ctx)
        assert opening.opening_priv is not None
        priv = b64u_decode(opening.opening_priv, length=32)
        if not await _decrypt_all(session, lot, opening, pending, priv, ctx, owner):
            return LotState.OPENING
        if await _pending(session, opening):
            return LotState.OPENING
    return await publish_record(session, lot, opening, ctx)


async def _decrypt_all(
    session: AsyncSession,
    lot: Lot,
    opening: Opening,
    pending: list[Bid],
    priv: bytes,
    ctx: Context,
    owner: str,
) -> bool:
    """Decrypt ahead in the worker pool while outcomes are recorded a batch per transaction;
    False if the lease was lost (another runner took over after ours ran out)."""
    usccs = dict(
        (
            await session.execute(
                select(Organization.id, Organization.uscc).where(
                    Organization.id.in_({b.bidder_org_id for b in pending})
                )
            )
        ).all()
    )
    sealed = [Sealed.of(bid, usccs[bid.bidder_org_id]) for bid in pending]
    label = envelope_lot_id(lot.id)
    loop = asyncio.get_running_loop()
    pool = decryptors(ctx.settings)
    # A task opens a few bids: one round trip to a worker process per CHUNK, not per bid.
    chunks = [sealed[i : i + CHUNK] for i in range(0, len(sealed), CHUNK)]
    if isinstance(pool, ProcessPoolExecutor):
        root = ctx.blobs.root
        futures = [loop.run_in_executor(pool, decide_all_at, root, c, label, priv) for c in chunks]
    else:
        futures = [
            loop.run_in_executor(pool, decide_all, ctx.blobs, c, label, priv) for c in chunks
        ]
    total, done = len(opening.bid_snapshot), len(opening.bid_snapshot) - len(pending)
    try:
        for start in range(0, len(sealed), BATCH):
            batch = sealed[start : start + BATCH]
            outcomes = [
                o for f in futures[start // CHUNK : (start + BATCH) // CHUNK] for o in await f
            ]
            async with writing(session):
                # Renewed with each batch, in its transaction: no outcome without the lease.
                if not await renew_lease(session, lot.id, owner, ctx.clock):
                    log.warning("lot %s: opening lease lost; the rest is its holder's", lot.id)
                    return False
                await record_outcomes(
                    session, lot, list(zip(batch, outcomes, strict=True)), SYSTEM_OPENER, ctx
                )
            done += len(batch)
            events.publish(lot.id, events.DECRYPT, {"done": done, "total": total})
    finally:
        for future in futures:
            future.cancel()  # not yet started: dropped; running: finishes, its result unused
    return True


async def _pending(session: AsyncSession, opening: Opening) -> list[Bid]:
    """The snapshot's bids still undecided: the snapshot, not the table, says what to open."""
    ids = [row["bid_id"] for row in opening.bid_snapshot]
    return list(
        await session.scalars(
            select(Bid)
            .where(Bid.id.in_(ids), Bid.status == BidStatus.ACTIVE)
            .order_by(Bid.received_at, Bid.id)
            .execution_options(populate_existing=True)
        )
    )


async def _recover_key(session: AsyncSession, lot: Lot, opening: Opening, ctx: Context) -> bool:
    info = lot.custody or {}
    shares = list(
        await session.scalars(select(ReleasedShare).where(ReleasedShare.lot_id == lot.id))
    )
    if len(shares) < int(info.get("threshold", 1)):
        return False
    try:
        priv = custody.recover_opening_key(
            custody.CustodyBundle.from_dict(info["bundle"]),
            [custody.ReleasedShare.from_dict(s.share) for s in shares],
        )
    except CryptoError as exc:
        async with writing(session):
            await audit.append(
                session,
                SYSTEM_OPENER,
                "opening.key_check_failed",
                "lot",
                lot.id,
                at=ctx.now,
                center_id=lot.project.center_id,
                detail={"error": str(exc), "shares": len(shares)},
            )
        return False
    async with writing(session):
        opening.opening_priv = b64u_encode(priv)
        opening.key_recovered_at = ctx.now
        await audit.append(
            session,
            SYSTEM_OPENER,
            "opening.key_recovered",
            "lot",
            lot.id,
            at=ctx.now,
            center_id=lot.project.center_id,
            detail={"shares": sorted(s.custodian_id for s in shares)},
        )
    events.publish(lot.id, events.KEY, {"recovered": True})
    return True


async def due_openings(session: AsyncSession) -> list[tuple[int, datetime]]:
    """Lots waiting for their opening or with an opening in progress (for reconciliation)."""
    rows = await session.execute(
        select(Lot.id, Lot.bid_deadline).where(
            Lot.state.in_([LotState.ANNOUNCED, LotState.OPENING])
        )
    )
    return [(r[0], r[1]) for r in rows.all()]
