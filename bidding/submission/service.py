"""Sealed submission with signed receipts, withdrawal, and the guards both share."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation.terms import refusal
from bidding.submission.admission import (
    Admission,
    BidderFacts,
    admit_in,
    bidder_facts,
    lot_cache,
    lot_for_bidding,
    require_bidder,
)
from bidding.submission.models import Bid, BidStatus
from crypto import envelope, receipts, signing
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from crypto.labels import envelope_lot_id
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.blobs import StagedBlob
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.kernel.runtime import Context
from trading.kernel.write_txn import write_in
from trading.parties.models import Organization
from trading.parties.secrecy import masked_bidder
from trading.projects.lifecycle import BiddingClosed, hold_for_bidding
from trading.projects.models import Lot
from trading.projects.service import LotFacts

MAX_BID_BYTES = 8 * 1024**3  # 8 GiB: multi-GB bids are normal for large works


async def refuse_attempt(
    session: AsyncSession,
    actor: Actor,
    action: str,
    lot: Lot | tuple[int, int],
    now: datetime,
    why: str,
) -> None:
    """Record a refused attempt in its own transaction (the request itself changes nothing).

    `lot` may be (lot id, center id), read before a failed transaction expired the lot."""
    lot_id, center_id = lot if isinstance(lot, tuple) else (lot.id, lot.project.center_id)
    if session.in_transaction():
        await session.rollback()
    async with writing(session):
        await audit.append(
            session,
            actor,
            action,
            "lot",
            lot_id,
            at=now,
            center_id=center_id,
            detail={"refused": why},
        )


async def bidder_org(session: AsyncSession, actor: Actor) -> Organization:
    require_bidder(actor)
    org = await session.get(Organization, actor.org_id)
    if org is None:
        raise Forbidden("投标人单位不存在 / bidder organization missing")
    return org


async def submit_bid(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    staged: StagedBlob,
    signature: str,
    ctx: Context,
) -> Bid:
    """Accept a sealed bid already streamed to a staging file; atomic: row + blob or nothing.

    Reads (the lot, mostly from the burst cache, and the bidder) and every check that needs
    no lock come first; the envelope is read and its signature verified off the event loop;
    the blob is linked in place and fsynced before the write lock is taken. The write
    transaction (`admission.admit_in`, one plain function: trading.kernel.write_txn) then only holds
    the lot (the guard), inserts the bid row with its receipt and appends one audit entry:
    it waits for nothing but the database.
    """
    created = kept = False
    published = False
    try:
        require_bidder(actor)
        lot, takes_bids = await lot_for_bidding(session, lot_id, actor, ctx.now)
        where = (lot.id, lot.center_id)
        if not takes_bids:
            await _refuse_late(session, actor, "bid.submit_refused", where, ctx.now)
        bidder = await bidder_facts(session, actor, lot.id, ctx.settings)
        refused = refusal(bidder.terms, bidder.registered, bidder.security)
        if refused is not None:  # the web layer's refusal hook records it (电子办法 49)
            raise refused
        # Reads done: hand the connection back before the slow part, so requests busy with
        # their envelope or their fsync do not hold the pool the write transactions need
        # (commit, not rollback: the caller's loaded objects stay as they are).
        await session.commit()
        header = await asyncio.to_thread(_check_envelope, staged, lot, bidder, signature)
        created, published = await ctx.blobs.publish(staged), True
        admission = Admission(lot, bidder, actor, header, staged, signature, ctx)
        try:
            bid = await write_in(session, admit_in, admission)
            kept = True
        except BiddingClosed:
            lot_cache(session).forget(lot.id)
            await _refuse_late(session, actor, "bid.submit_refused", where, ctx.clock.now())
        return bid
    finally:
        if published:
            if created and not kept:
                kept = await _named_by_a_bid(session, lot_id, actor, header.version, staged.sha256)
            await ctx.blobs.settle(staged, created=created, kept=kept)
        else:
            ctx.blobs.discard(staged)


def _check_envelope(
    staged: StagedBlob, lot: LotFacts, bidder: BidderFacts, signature: str
) -> envelope.Header:
    """The envelope's header names this lot and bidder, is sealed to the lot's opening key and
    signed by the bidder's current key. File I/O and Ed25519: run on a worker thread."""
    try:
        with staged.path.open("rb") as fh:
            header = envelope.read_header(fh)
    except CryptoError as exc:
        raise ValidationFailed(
            f"不是有效的密封投标文件 / not a sealed bid envelope: {exc}"
        ) from exc
    if header.lot_id != envelope_lot_id(lot.id):
        raise ValidationFailed(
            f"投标文件属于其他标段 / envelope is for {header.lot_id}, not {envelope_lot_id(lot.id)}"
        )
    if header.bidder_id != bidder.uscc:
        raise ValidationFailed("投标文件属于其他投标人 / envelope names another bidder")
    if lot.opening_pub is None or not sealed_to(header, b64u_decode(lot.opening_pub, length=32)):
        raise ValidationFailed(
            "投标文件未对本标段开标密钥加密 / not sealed to this lot's opening key"
        )
    if bidder.sign_pub is None:
        raise ValidationFailed("投标人尚未登记公钥 / register your public keys before bidding")
    message = receipts.submission_message(
        header.lot_id, header.bidder_id, header.version, header.sha256, staged.sha256
    )
    try:
        signing.verify(b64u_decode(bidder.sign_pub, length=32), message, b64u_decode(signature))
    except CryptoError as exc:
        raise ValidationFailed(f"投标人签名无效 / bidder signature invalid: {exc}") from exc
    return header


async def _named_by_a_bid(
    session: AsyncSession, lot_id: int, actor: Actor, version: int, sha256: str
) -> bool:
    """Whether a committed bid names these bytes: the same envelope (same lot, bidder and
    version, which its header binds) sent twice at once, the other copy admitted. Asked only
    when this request's own transaction failed; when unsure, the blob stays (an unreferenced
    blob is harmless, a bid without its ciphertext is not)."""
    try:
        if session.in_transaction():
            await session.rollback()
        found = await session.scalar(
            select(Bid.id).where(
                Bid.lot_id == lot_id,
                Bid.bidder_org_id == actor.org_id,
                Bid.version == version,
                Bid.ciphertext_sha256 == sha256,
            )
        )
        await session.commit()
    except Exception:  # the session is unusable (the failure that brought us here)
        return True
    return found is not None


async def _refuse_late(
    session: AsyncSession, actor: Actor, action: str, lot: tuple[int, int], now: datetime
) -> NoReturn:
    await refuse_attempt(session, actor, action, lot, now, "deadline passed")
    if action == "bid.withdraw_refused":
        raise Conflict("投标截止后不得撤回 / no withdrawal after the bid deadline")
    raise Conflict(
        "投标截止时间已过，不再接受投标 / the bid deadline has passed: no submission accepted"
    )


def sealed_to(header: envelope.Header, pub: bytes) -> bool:
    fingerprint = hashlib.sha256(pub).digest()
    return any(s.fingerprint == fingerprint for s in header.stanzas)


async def withdraw_bid(session: AsyncSession, lot_id: int, actor: Actor, ctx: Context) -> int:
    org = await bidder_org(session, actor)
    lot, takes_bids = await lot_for_bidding(session, lot_id, actor, ctx.now)
    where = (lot.id, lot.center_id)
    if not takes_bids:
        await _refuse_late(session, actor, "bid.withdraw_refused", where, ctx.now)
    try:
        async with writing(session):
            now = await hold_for_bidding(session, lot.id, ctx.clock)
            bids = list(
                await session.scalars(
                    select(Bid).where(
                        Bid.lot_id == lot.id,
                        Bid.bidder_org_id == org.id,
                        Bid.status == BidStatus.ACTIVE,
                    )
                )
            )
            if not bids:
                raise NotFound("没有可撤回的投标 / no active bid to withdraw")
            for bid in bids:
                bid.status = BidStatus.WITHDRAWN
            masked, commitment = await masked_bidder(session, lot.id, org.uscc)
            await audit.append(
                session,
                masked,
                "bid.withdraw",
                "lot",
                lot.id,
                at=now,
                center_id=lot.center_id,
                detail={"bidder": commitment},
            )
    except BiddingClosed:
        lot_cache(session).forget(lot.id)
        await _refuse_late(session, actor, "bid.withdraw_refused", where, ctx.clock.now())
    return len(bids)


async def my_bid(session: AsyncSession, lot_id: int, bid_id: int, actor: Actor) -> Bid:
    """One of the actor's company's bids on the lot (its receipt); another's is not found."""
    org_id = require_bidder(actor)
    bid = await session.get(Bid, bid_id)
    if bid is None or bid.lot_id != lot_id or bid.bidder_org_id != org_id:
        raise NotFound(f"投标 {bid_id} 不存在 / bid not found")
    return bid
