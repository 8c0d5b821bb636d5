"""Sealed submission with signed receipts, withdrawal, and the guards both share."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.submission.models import Bid, BidStatus
from crypto import envelope, receipts, signing
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from crypto.keys import Identity, key_id
from crypto.labels import envelope_lot_id
from trading.audit import service as audit
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import StagedBlob
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.kernel.runtime import Context
from trading.parties.models import Organization, PartyKey
from trading.parties.secrecy import masked_bidder
from trading.projects.lifecycle import BiddingClosed, hold_for_bidding
from trading.projects.models import Lot
from trading.projects.service import get_lot

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
    if not actor.has(Role.BIDDER) or actor.org_id is None:
        raise Forbidden("只有投标人可以投标 / only bidders submit bids")
    org = await session.get(Organization, actor.org_id)
    if org is None:
        raise Forbidden("投标人单位不存在 / bidder organization missing")
    return org


async def _signing_key(session: AsyncSession, user_id: int) -> bytes:
    key = await session.scalar(
        select(PartyKey)
        .where(PartyKey.user_id == user_id, PartyKey.revoked_at.is_(None))
        .order_by(PartyKey.id.desc())
    )
    if key is None:
        raise ValidationFailed("投标人尚未登记公钥 / register your public keys before bidding")
    return b64u_decode(key.sign_pub, length=32)


async def submit_bid(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    staged: StagedBlob,
    signature: str,
    ctx: Context,
) -> Bid:
    """Accept a sealed bid already streamed to a staging file; atomic: row + blob or nothing."""
    try:
        return await _submit(session, lot_id, actor, staged, signature, ctx)
    finally:
        ctx.blobs.discard(staged)  # no-op once committed (the file was moved)


async def _submit(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    staged: StagedBlob,
    signature: str,
    ctx: Context,
) -> Bid:
    org = await bidder_org(session, actor)
    lot = await get_lot(session, lot_id, actor)
    where = (lot.id, lot.project.center_id)
    if lot.state != LotState.ANNOUNCED or ctx.now >= lot.bid_deadline:
        await _refuse_late(session, actor, "bid.submit_refused", where, ctx.now)
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
    if header.bidder_id != org.uscc:
        raise ValidationFailed("投标文件属于其他投标人 / envelope names another bidder")
    if lot.opening_pub is None or not sealed_to(header, b64u_decode(lot.opening_pub, length=32)):
        raise ValidationFailed(
            "投标文件未对本标段开标密钥加密 / not sealed to this lot's opening key"
        )
    message = receipts.submission_message(
        header.lot_id, header.bidder_id, header.version, header.sha256, staged.sha256
    )
    try:
        signing.verify(
            await _signing_key(session, actor.user_id or 0), message, b64u_decode(signature)
        )
    except CryptoError as exc:
        raise ValidationFailed(f"投标人签名无效 / bidder signature invalid: {exc}") from exc
    try:
        async with writing(session):
            # Decided here, holding the lot, on the clock read after the wait: the opening's
            # snapshot either sees this bid committed or this bid is refused.
            now = await hold_for_bidding(session, lot.id, ctx.clock)
            bid = await _admit(session, lot, org, actor, header, staged, signature, now, ctx)
            ctx.blobs.commit(staged)
    except BiddingClosed:
        await _refuse_late(session, actor, "bid.submit_refused", where, ctx.clock.now())
    return bid


async def _refuse_late(
    session: AsyncSession, actor: Actor, action: str, lot: tuple[int, int], now: datetime
) -> NoReturn:
    await refuse_attempt(session, actor, action, lot, now, "deadline passed")
    if action == "bid.withdraw_refused":
        raise Conflict("投标截止后不得撤回 / no withdrawal after the bid deadline")
    raise Conflict(
        "投标截止时间已过，不再接受投标 / the bid deadline has passed: no submission accepted"
    )


async def _admit(
    session: AsyncSession,
    lot: Lot,
    org: Organization,
    actor: Actor,
    header: envelope.Header,
    staged: StagedBlob,
    signature: str,
    now: datetime,
    ctx: Context,
) -> Bid:
    last_version = await session.scalar(
        select(func.max(Bid.version)).where(Bid.lot_id == lot.id, Bid.bidder_org_id == org.id)
    )
    if last_version is not None and header.version <= last_version:
        raise Conflict(
            f"版本 {header.version} 不晚于已提交的版本 {last_version} / replayed or stale version"
        )
    previous = await session.scalars(
        select(Bid).where(
            Bid.lot_id == lot.id, Bid.bidder_org_id == org.id, Bid.status == BidStatus.ACTIVE
        )
    )
    for old in previous:
        old.status = BidStatus.REPLACED
    bid = Bid(
        lot_id=lot.id,
        bidder_org_id=org.id,
        submitted_by_id=actor.user_id or 0,
        version=header.version,
        ciphertext_sha256=staged.sha256,
        header_sha256=header.sha256,
        size=staged.size,
        signature=signature,
        client_ip=actor.ip,
        received_at=now,
    )
    session.add(bid)
    await session.flush()
    masked, commitment = await masked_bidder(session, lot.id, org.uscc)
    entry = await audit.append(
        session,
        masked,
        "bid.submit",
        "lot",
        lot.id,
        at=now,
        center_id=lot.project.center_id,
        detail={
            "bid_id": bid.id,
            "bidder": commitment,
            "version": header.version,
            "sha256": staged.sha256,
            "size": staged.size,
        },
    )
    bid.receipt = receipts.issue_receipt(
        ctx.platform.sign_priv,
        lot_id=header.lot_id,
        bidder_id=org.uscc,
        version=header.version,
        ciphertext_sha256=staged.sha256,
        size=staged.size,
        received_at=now.isoformat(),
        audit_index=entry.seq,
        key_id=platform_key_id(ctx.platform),
    )
    return bid


def sealed_to(header: envelope.Header, pub: bytes) -> bool:
    fingerprint = hashlib.sha256(pub).digest()
    return any(s.fingerprint == fingerprint for s in header.stanzas)


def platform_key_id(platform: Identity) -> str:
    return key_id(platform.sign_pub)


async def withdraw_bid(session: AsyncSession, lot_id: int, actor: Actor, ctx: Context) -> int:
    org = await bidder_org(session, actor)
    lot = await get_lot(session, lot_id, actor)
    where = (lot.id, lot.project.center_id)
    if lot.state != LotState.ANNOUNCED or ctx.now >= lot.bid_deadline:
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
                center_id=lot.project.center_id,
                detail={"bidder": commitment},
            )
    except BiddingClosed:
        await _refuse_late(session, actor, "bid.withdraw_refused", where, ctx.clock.now())
    return len(bids)
