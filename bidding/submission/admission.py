"""Admitting a bid: what it reads before its write transaction, in few statements, and the
write transaction itself (`admit_in`), a plain function of a connection
(trading.kernel.write_txn runs it where it waits least).

At a deadline hundreds of bids for one lot arrive within seconds, and every one of them used
to load the lot, its project and center through ORM loader chains twice. Here the lot is
read with one Core select and kept for a few seconds per process (``LotCache``); the bidder's
organization and current signing key with one more, fresh each time.

The cache only saves reads; it decides nothing. Whether the lot still takes bids is decided
inside the write transaction by ``trading.projects.lifecycle.hold_for_bidding`` (state and
deadline re-read there, on the clock read there), so a stale entry (a lot cancelled a moment
ago, a deadline that came earlier) costs at most a refused upload, never an admitted late
bid. The other way round a stale entry could refuse a bid the lot would take (a deadline an
amendment extended): so only a verdict of "open" is taken from the cache, and anything else
is asked of the database again before a bid is refused. What else is used from an entry
never changes once the lot is announced: its id, center and opening key.

The signing key is not cached: a key revoked or replaced must stop (or start) verifying at
once, and no guard in the transaction re-checks it. Neither is anything a write decides on.

The bidder's select also answers what the lot requires of it (registration per the ruleset,
bid security per the lot: bidding/participation/terms.py) and whether it has done so, so the
refusal with its citation costs no extra round trip; the first bid's INSERT … SELECT repeats
both conditions inside the write transaction (`admit_in`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from bidding.participation.models import BidSecurity, Registration
from bidding.participation.terms import Terms, refusal, terms_of
from bidding.submission.models import Bid, BidStatus
from crypto import envelope, receipts
from crypto.keys import Identity, key_id
from trading.audit import service as audit
from trading.centers.models import Center
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import StagedBlob
from trading.kernel.config import Settings
from trading.kernel.errors import Conflict, Forbidden, NotFound
from trading.kernel.runtime import Context
from trading.parties.models import LotSecrecy, Organization, PartyKey
from trading.parties.secrecy import masked_as, masked_bidder_in
from trading.projects.lifecycle import hold_for_bidding_in
from trading.projects.models import Lot, Project
from trading.projects.service import LotFacts, get_lot, lot_facts

LOT_TTL = 2.0  # seconds: the length of a burst, short enough that a changed lot is seen soon
MAX_LOTS = 4096  # lots kept per database (ids come from URLs: bounded)
MAX_SALTED = 100_000


class LotCache:
    """Announced lots' admission facts by id, each kept `ttl` seconds (monotonic time)."""

    def __init__(self, ttl: float = LOT_TTL, *, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.now = now
        self._lots: dict[int, tuple[LotFacts, float]] = {}
        self._lock = threading.Lock()  # the app and a test may serve one database from 2 loops
        self.hits = 0

    def get(self, lot_id: int) -> LotFacts | None:
        found = self._lots.get(lot_id)
        if found is None:
            return None
        facts, expires = found
        if self.now() >= expires:
            self.forget(lot_id)
            return None
        self.hits += 1
        return facts

    def put(self, facts: LotFacts) -> None:
        with self._lock:
            self._lots.pop(facts.id, None)
            while len(self._lots) >= MAX_LOTS:  # the oldest stored goes first
                del self._lots[next(iter(self._lots))]
            self._lots[facts.id] = (facts, self.now() + self.ttl)

    def forget(self, lot_id: int) -> None:
        with self._lock:
            self._lots.pop(lot_id, None)


# One cache per database (tests build many; the same lot id means another lot in each).
_caches: weakref.WeakKeyDictionary[Engine, LotCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _engine(session: AsyncSession) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def lot_cache(session: AsyncSession) -> LotCache:
    engine = _engine(session)
    cache = _caches.get(engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(engine, LotCache())
    return cache


def takes_bids(lot: LotFacts, now: datetime) -> bool:
    return lot.state == LotState.ANNOUNCED and now < lot.bid_deadline


async def lot_for_bidding(
    session: AsyncSession, lot_id: int, actor: Actor, now: datetime
) -> tuple[LotFacts, bool]:
    """The lot and whether it takes bids at `now`, as far as can be told before the write.

    Raises NotFound for a lot that does not exist or is a draft the actor may not see (as
    `get_lot`). A cached "open" is returned as it is; any other answer is read again."""
    cache = lot_cache(session)
    cached = cache.get(lot_id)
    if cached is not None and takes_bids(cached, now):
        return cached, True
    facts = await lot_facts(session, lot_id)
    if facts is None:
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    if facts.state == LotState.DRAFT:
        await get_lot(session, lot_id, actor)  # NotFound unless the actor may see drafts
    if facts.state == LotState.ANNOUNCED:
        cache.put(facts)
    else:
        cache.forget(lot_id)
    return facts, takes_bids(facts, now)


@dataclass(frozen=True, slots=True)
class BidderFacts:
    org_id: int
    uscc: str
    sign_pub: str | None  # the newest key not revoked; None: no key registered
    has_bids: bool  # a hint for the write (which re-checks): any bid on the lot yet
    salt: str | None  # the lot's bidder salt once drawn (never changes); None before
    registered: bool  # registered (报名) for the lot
    security: Decimal | None  # the bid security lodged for the lot, if any
    terms: Terms  # what the lot requires (registration, security), with its citations


def require_bidder(actor: Actor) -> int:
    if not actor.has(Role.BIDDER) or actor.org_id is None:
        raise Forbidden("只有投标人可以投标 / only bidders submit bids")
    return actor.org_id


@cache
def _bidder_query() -> Select[tuple[Any, ...]]:
    """Built once (bound parameters): a rush runs it once per bid. The organization row is
    joined to the lot's row (one each), so the lot's terms come with it at no extra trip."""
    lot_id, org_id, user_id = bindparam("lot_id"), bindparam("org_id"), bindparam("user_id")
    has_bids = exists().where(Bid.lot_id == lot_id, Bid.bidder_org_id == org_id)
    salt = select(LotSecrecy.salt).where(LotSecrecy.lot_id == lot_id).scalar_subquery()
    registered = exists().where(Registration.lot_id == lot_id, Registration.bidder_org_id == org_id)
    security = (
        select(BidSecurity.amount)
        .where(BidSecurity.lot_id == lot_id, BidSecurity.bidder_org_id == org_id)
        .scalar_subquery()
    )
    return (
        select(
            Organization.id,
            Organization.uscc,
            PartyKey.sign_pub,
            has_bids,
            salt,
            registered,
            security,
            Lot.bid_security,
            Project.category,
            Project.method,
            Center.code,
            Center.rule_overrides,
        )
        .select_from(Organization)
        .join(Lot, Lot.id == lot_id)
        .join(Project, Project.id == Lot.project_id)
        .join(Center, Center.id == Project.center_id)
        .outerjoin(PartyKey, and_(PartyKey.user_id == user_id, PartyKey.revoked_at.is_(None)))
        .where(Organization.id == org_id)
        .order_by(PartyKey.id.desc())
        .limit(1)
    )


async def bidder_facts(
    session: AsyncSession, actor: Actor, lot_id: int, settings: Settings
) -> BidderFacts:
    """The bidder's organization, current signing key, whether it has bid on the lot, the
    lot's bidder salt, and its registration, security and the lot's terms, in one select."""
    org_id = require_bidder(actor)
    params = {"lot_id": lot_id, "org_id": org_id, "user_id": actor.user_id or 0}
    row = (await session.execute(_bidder_query(), params)).first()
    if row is None:
        raise Forbidden("投标人单位不存在 / bidder organization missing")
    *facts, bid_security, category, method, code, overrides = row
    terms = terms_of(category, method, bid_security, code, overrides, settings.rule_overrides)
    return BidderFacts(*facts, terms=terms)


# ---- the write transaction --------------------------------------------------------------------


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


def admit_in(connection: Connection, a: Admission) -> Bid:
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


def platform_key_id(platform: Identity) -> str:
    return key_id(platform.sign_pub)
