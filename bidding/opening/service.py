"""The opening: custody release, key recovery, decryption of each bid, outcomes recorded."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bidding.hall import events
from bidding.opening.models import Opening, ReleasedShare
from bidding.opening.record import SYSTEM_OPENER, publish_record
from bidding.submission.models import Bid, BidStatus
from bidding.submission.service import bidder_org, refuse_attempt
from crypto import bundle, custody, envelope
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.labels import envelope_lot_id
from trading.announcements.models import AnnouncementKind
from trading.announcements.service import announce
from trading.audit import service as audit
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.kernel.runtime import Context
from trading.parties.models import Organization
from trading.projects import lifecycle
from trading.projects.models import Lot, Project
from trading.projects.publishing import effective_ruleset
from trading.rules.engine import check_bid_count


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
    """Close submissions at the deadline and open the decryption window; idempotent."""
    lot = await _lot_for_update(session, lot_id)
    if lot.state != LotState.ANNOUNCED:
        return LotState(lot.state)
    if ctx.now < lot.bid_deadline:
        await refuse_attempt(
            session, actor, "opening.early_refused", lot, ctx.now, "before the deadline"
        )
        raise Conflict("开标时间未到，拒绝提前开标 / opening before the bid deadline is refused")
    async with writing(session):
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
            announce(
                session,
                project_id=lot.project_id,
                lot_id=lot.id,
                kind=AnnouncementKind.FAILURE,
                title=f"{lot.project.title} {lot.title} 流标公告",
                body=str(too_few),
                at=ctx.now,
                publish=False,
                digests=[b["sha256"] for b in snapshot],
            )
        else:
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
            session.add(Opening(lot_id=lot.id, started_at=ctx.now, bid_snapshot=snapshot))
    if too_few is not None:
        events.publish(lot.id, events.STATE, {"state": LotState.FAILED, "reason": str(too_few)})
        return LotState.FAILED
    events.publish(lot.id, events.STATE, {"state": LotState.OPENING, "bids": len(snapshot)})
    return LotState.OPENING


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
    try:
        released = custody.ReleasedShare.from_dict(share)
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"密钥分片格式错误 / malformed key share: {exc}") from exc
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
    return await continue_opening(session, lot.id, ctx)


async def continue_opening(session: AsyncSession, lot_id: int, ctx: Context) -> LotState:
    """Recover the key when enough shares are in, decrypt what is pending, publish the record.

    Safe to call any number of times and after a crash: each step commits on its own.
    """
    lot = await _lot_for_update(session, lot_id)
    if lot.state != LotState.OPENING:
        return LotState(lot.state)
    opening = await session.get(Opening, lot.id)
    if opening is None:
        raise Conflict(f"标段 {lot.id} 的开标记录缺失 / opening row missing")
    pending = list(
        await session.scalars(
            select(Bid)
            .where(Bid.lot_id == lot.id, Bid.status == BidStatus.ACTIVE)
            .order_by(Bid.received_at, Bid.id)
        )
    )
    if not pending:  # every bidder opened its own bid: no custodian key is needed
        return await publish_record(session, lot, opening, ctx)
    if opening.opening_priv is None and not await _recover_key(session, lot, opening, ctx):
        return LotState.OPENING
    assert opening.opening_priv is not None
    priv = b64u_decode(opening.opening_priv, length=32)
    orgs = {o.id: o for o in await session.scalars(select(Organization))}
    total = len(opening.bid_snapshot)
    for done, bid in enumerate(pending, start=total - len(pending) + 1):
        await _decrypt_one(session, lot, bid, orgs[bid.bidder_org_id], priv, ctx)
        events.publish(lot.id, events.DECRYPT, {"done": done, "total": total})
    return await publish_record(session, lot, opening, ctx)


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


def _price_of(form: dict[str, Any]) -> Decimal:
    raw = form.get("price")
    if not isinstance(raw, str):
        raise ValueError("price form has no price string")
    try:
        price = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(f"price {raw!r} is not a decimal amount") from exc
    if not price.is_finite() or price <= 0 or price.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"price {raw!r} is not a positive amount with at most 2 decimals")
    return price


def _read_sealed_price_form(
    blobs: LocalBlobStore,
    bid: Bid,
    lot_id: str,
    bidder_id: str,
    *,
    priv: bytes | None = None,
    file_key: bytes | None = None,
) -> dict[str, Any]:
    """Open the envelope (authenticating every chunk) with the lot's opening key or the file key
    its bidder released, and read the price form inside it."""
    expect = {"expect_lot": lot_id, "expect_bidder": bidder_id, "expect_version": bid.version}
    with blobs.open(bid.ciphertext_sha256) as src, tempfile.TemporaryFile() as plain:
        if file_key is not None:
            envelope.open_with_file_key(src, plain, file_key=file_key, **expect)
        else:
            assert priv is not None
            envelope.open_envelope(src, plain, recipient_priv=priv, **expect)
        plain.seek(0)
        return bundle.read_price_form(plain)


async def _decrypt_one(
    session: AsyncSession, lot: Lot, bid: Bid, org: Organization, priv: bytes, ctx: Context
) -> None:
    status, price, form, cause = BidStatus.DECRYPTED, None, None, ""
    if not ctx.blobs.exists(bid.ciphertext_sha256):
        # Lost by the platform: 撤回 (withdrawn), not the bidder's fault (电子办法 31).
        status, cause = BidStatus.FAILED, "sealed file missing from the platform store"
    else:
        try:
            # A multi-GB bid takes seconds: decrypt off the event loop so the hall stays live.
            form = await asyncio.to_thread(
                _read_sealed_price_form,
                ctx.blobs,
                bid,
                envelope_lot_id(lot.id),
                org.uscc,
                priv=priv,
            )
            price = _price_of(form)
        except (CryptoError, ValueError) as exc:
            status, cause = BidStatus.REVOKED, str(exc)
    await _record_outcome(session, lot, bid, (status, price, form, cause), SYSTEM_OPENER, ctx)


async def _record_outcome(
    session: AsyncSession,
    lot: Lot,
    bid: Bid,
    outcome: tuple[str, Decimal | None, dict[str, Any] | None, str],
    actor: Actor,
    ctx: Context,
) -> None:
    status, price, form, cause = outcome
    async with writing(session):
        bid.status, bid.price, bid.price_form, bid.failure_cause = status, price, form, cause
        bid.decrypted_at = ctx.now
        session.add(bid)
        await audit.append(
            session,
            actor,
            "opening.bid_" + status,
            "lot",
            lot.id,
            at=ctx.now,
            center_id=lot.project.center_id,
            detail={"bid_id": bid.id, "sha256": bid.ciphertext_sha256, "cause": cause},
        )


async def release_file_key(
    session: AsyncSession, lot_id: int, actor: Actor, file_key: str, ctx: Context
) -> LotState:
    """不见面开标: at the opening a bidder decrypts its own stanza on its machine and releases
    the bid's file key; the platform opens that bid with it, no custodian needed. When every
    bid is decided this way the record is published at once."""
    org = await bidder_org(session, actor)
    lot = await _lot_for_update(session, lot_id)
    if lot.state == LotState.ANNOUNCED or ctx.now < lot.bid_deadline:
        raise Conflict("开标时间未到，不接受解密 / bids are decrypted only at the opening")
    if lot.state != LotState.OPENING:
        return LotState(lot.state)
    bid = await session.scalar(
        select(Bid).where(
            Bid.lot_id == lot.id, Bid.bidder_org_id == org.id, Bid.status == BidStatus.ACTIVE
        )
    )
    if bid is None:
        raise NotFound("没有待解密的本单位投标 / no bid of yours is waiting to be decrypted")
    try:
        key = b64u_decode(file_key, length=32, what="file_key")
        form = await asyncio.to_thread(
            _read_sealed_price_form, ctx.blobs, bid, envelope_lot_id(lot.id), org.uscc, file_key=key
        )
    except CryptoError as exc:
        # A wrong key changes nothing: the bidder may try again, or custodians open it.
        raise ValidationFailed(
            f"该密钥无法解密本单位投标 / that key does not open your bid: {exc}"
        ) from exc
    try:
        outcome = (BidStatus.DECRYPTED, _price_of(form), form, "")
    except ValueError as exc:  # authentic, but the bidder's own price form is unusable
        outcome = (BidStatus.REVOKED, None, form, str(exc))
    await _record_outcome(session, lot, bid, outcome, actor, ctx)
    opening = await session.get(Opening, lot.id)
    done = len(opening.bid_snapshot) if opening else 0
    remaining = await session.scalar(
        select(func.count(Bid.id)).where(Bid.lot_id == lot.id, Bid.status == BidStatus.ACTIVE)
    )
    events.publish(lot.id, events.DECRYPT, {"done": done - (remaining or 0), "total": done})
    if remaining:
        return LotState.OPENING
    return await continue_opening(session, lot.id, ctx)


async def due_openings(session: AsyncSession) -> list[tuple[int, datetime]]:
    """Lots waiting for their opening or with an opening in progress (for reconciliation)."""
    rows = await session.execute(
        select(Lot.id, Lot.bid_deadline).where(
            Lot.state.in_([LotState.ANNOUNCED, LotState.OPENING])
        )
    )
    return [(r[0], r[1]) for r in rows.all()]
