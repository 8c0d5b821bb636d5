"""Sealed submission with signed receipts, withdrawal, and the guards both share."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NoReturn

from sqlalchemy import and_, bindparam, exists, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from bidding.participation.models import BidSecurity, Registration
from bidding.participation.terms import Terms, refusal
from bidding.submission.admission import (
    BidderFacts,
    bidder_facts,
    lot_cache,
    lot_for_bidding,
    require_bidder,
)
from bidding.submission.models import Bid, BidStatus
from crypto import envelope, receipts, signing
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from crypto.keys import Identity, key_id
from crypto.labels import envelope_lot_id
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.blobs import StagedBlob
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.kernel.runtime import Context
from trading.kernel.write_txn import write_in
from trading.parties.models import Organization
from trading.parties.secrecy import masked_as, masked_bidder, masked_bidder_in
from trading.projects.lifecycle import BiddingClosed, hold_for_bidding, hold_for_bidding_in
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
    transaction (`_admit_in`, one plain function: trading.kernel.write_txn) then only holds
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
            bid = await write_in(session, _admit_in, admission)
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


@dataclass(frozen=True, slots=True)
class Admission:
    """What the write transaction needs, read and checked before it."""

    lot: LotFacts
    bidder: BidderFacts
    actor: Actor
    header: envelope.Header
    staged: StagedBlob
    signature: str
    ctx: Context


def _admit_in(connection: Connection, a: Admission) -> Bid:
    """The write transaction: the guard, then a few Core statements, no ORM loading."""
    # Decided here, holding the lot, on the clock read after the wait: the opening's
    # snapshot either sees this bid committed or this bid is refused.
    now = hold_for_bidding_in(connection, a.lot.id, a.ctx.clock)
    lot, bidder, header, staged = a.lot, a.bidder, a.header, a.staged
    # The lot's first bid draws its salt here, in the transaction that holds the lot.
    if bidder.salt is None:
        who, commitment = masked_bidder_in(connection, lot.id, bidder.uscc)
    else:
        who, commitment = masked_as(bidder.salt, bidder.uscc)
    # The entry's seq is known before any row is written (the log's lock is held from here
    # to the commit), so the receipt that cites it goes in with the bid row.
    seq = audit.next_seq_in(connection)
    receipt = receipts.issue_receipt(
        a.ctx.platform.sign_priv,
        lot_id=header.lot_id,
        bidder_id=bidder.uscc,
        version=header.version,
        ciphertext_sha256=staged.sha256,
        size=staged.size,
        received_at=now.isoformat(),
        audit_index=seq,
        key_id=platform_key_id(a.ctx.platform),
    )
    values: dict[str, Any] = {
        "lot_id": lot.id,
        "bidder_org_id": bidder.org_id,
        "submitted_by_id": a.actor.user_id or 0,
        "version": header.version,
        "status": BidStatus.ACTIVE,
        "ciphertext_sha256": staged.sha256,
        "header_sha256": header.sha256,
        "size": staged.size,
        "signature": a.signature,
        "client_ip": a.actor.ip,
        "received_at": now,
        "receipt": receipt,
        "failure_cause": "",
    }
    # A bidder's first bid on the lot (the rush: almost every one) is one statement: inserted
    # only if the bidder still has no bid on it and meets the lot's terms (registration,
    # security: read again here, in the write), which leaves nothing to replay or replace.
    bid_id = None if bidder.has_bids else _insert_first(connection, values, bidder.terms)
    if bid_id is None:
        bid_id = _insert_next(connection, values, bidder)
    (entry,) = audit.append_in(
        connection,
        [
            audit.Entry(
                who,
                "bid.submit",
                "lot",
                lot.id,
                now,
                lot.center_id,
                {
                    "bid_id": bid_id,
                    "bidder": commitment,
                    "version": header.version,
                    "sha256": staged.sha256,
                    "size": staged.size,
                },
            )
        ],
    )
    if entry.seq != seq:  # the log's lock is held: only a broken lock gets here
        raise RuntimeError(f"audit seq moved from {seq} to {entry.seq} inside one transaction")
    # Not attached to a session: what the caller and the receipt page need of the row.
    return Bid(id=bid_id, **values)


def _insert_next(connection: Connection, values: dict[str, Any], bidder: BidderFacts) -> int:
    """The long way, for a bidder with a bid on the lot already (or one that fails the
    first-bid insert's terms): the terms asked explicitly, the replay check, the
    replacement of the active bid, a plain insert."""
    lot_id, version = values["lot_id"], values["version"]
    if bidder.terms.any:
        _check_terms(connection, lot_id, bidder)
    table = Bid.__table__
    mine = and_(table.c.lot_id == lot_id, table.c.bidder_org_id == bidder.org_id)
    versions = connection.execute(select(table.c.version, table.c.status).where(mine)).all()
    last_version = max((v for v, _ in versions), default=None)
    if last_version is not None and version <= last_version:
        raise Conflict(
            f"版本 {version} 不晚于已提交的版本 {last_version} / replayed or stale version"
        )
    if any(status == BidStatus.ACTIVE for _, status in versions):
        connection.execute(
            update(table)
            .where(mine, table.c.status == BidStatus.ACTIVE)
            .values(status=BidStatus.REPLACED)
        )
    return connection.execute(insert(table).values(values).returning(table.c.id)).scalar_one()


@cache
def _first_bid_insert(registration: bool, security: bool) -> ReturningInsert[tuple[int]]:
    """INSERT … SELECT :values WHERE NOT EXISTS (a bid of this bidder on this lot) [AND the
    bidder registered] [AND its security ≥ :security] RETURNING id, built once per shape with
    bound parameters (one per column, named as the column)."""
    table = Bid.__table__
    row = select(*(bindparam(c, type_=table.c[c].type).label(c) for c in _BID_COLUMNS))
    lot_id, org_id = bindparam("lot_id"), bindparam("bidder_org_id")
    theirs = exists().where(table.c.lot_id == lot_id, table.c.bidder_org_id == org_id)
    when = [~theirs]
    if registration:
        when.append(
            exists().where(Registration.lot_id == lot_id, Registration.bidder_org_id == org_id)
        )
    if security:
        when.append(
            exists().where(
                BidSecurity.lot_id == lot_id,
                BidSecurity.bidder_org_id == org_id,
                BidSecurity.amount >= bindparam("security", type_=BidSecurity.amount.type),
            )
        )
    return (
        insert(table).from_select(list(_BID_COLUMNS), row.where(and_(*when))).returning(table.c.id)
    )


_BID_COLUMNS = (
    "lot_id",
    "bidder_org_id",
    "submitted_by_id",
    "version",
    "status",
    "ciphertext_sha256",
    "header_sha256",
    "size",
    "signature",
    "client_ip",
    "received_at",
    "receipt",
    "failure_cause",
)


def _insert_first(connection: Connection, values: dict[str, Any], terms: Terms) -> int | None:
    """The new bid's id, or None when the bidder has a bid on the lot after all, or does not
    meet the lot's terms (then the caller takes the long way: `_insert_next`)."""
    needs_security = terms.security > 0
    statement = _first_bid_insert(terms.registration is not None, needs_security)
    params = {**values, "security": terms.security} if needs_security else values
    return connection.execute(statement, params).scalar_one_or_none()


def _check_terms(connection: Connection, lot_id: int, bidder: BidderFacts) -> None:
    """The lot's terms read inside the write transaction (the long way only)."""
    registered = connection.scalar(
        select(Registration.id).where(
            Registration.lot_id == lot_id, Registration.bidder_org_id == bidder.org_id
        )
    )
    security = connection.scalar(
        select(BidSecurity.amount).where(
            BidSecurity.lot_id == lot_id, BidSecurity.bidder_org_id == bidder.org_id
        )
    )
    refused = refusal(bidder.terms, registered is not None, security)
    if refused is not None:
        raise refused


def sealed_to(header: envelope.Header, pub: bytes) -> bool:
    fingerprint = hashlib.sha256(pub).digest()
    return any(s.fingerprint == fingerprint for s in header.stanzas)


def platform_key_id(platform: Identity) -> str:
    return key_id(platform.sign_pub)


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
