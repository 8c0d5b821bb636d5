"""The opening as the center's staff run it: who has acted (custodians, bidders) and reminders.

Nothing here says who bid before the deadline (招标投标法 22): bidders appear only from the
opening's snapshot, and never with a price (the record publishes prices, 电子办法 30).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.models import CheckIn, Opening, ReleasedShare, Reminder
from bidding.participation.models import Notice
from bidding.submission.models import Bid, BidStatus
from crypto.custody import CustodyBundle
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from trading.audit import service as audit
from trading.auth.models import User
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.db import advisory_lock, writing
from trading.kernel.errors import Conflict, Forbidden, TooManyRequests
from trading.parties.models import Organization, PartyKey
from trading.projects.models import Lot
from trading.projects.service import get_lot, manages

REMIND_EVERY = timedelta(minutes=5)  # one reminder per person per lot in this time
_LOCK_BASE = 0x52454D << 40  # "REM": per-lot advisory lock keys of their own


@dataclass(frozen=True, slots=True)
class CustodianStatus:
    user_id: int
    name: str
    # A current registered key that the lot's custody bundle holds a share for: the custodian
    # can open its share at the opening.
    ready: bool
    released_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True, slots=True)
class BidderStatus:
    org_id: int
    name: str
    received_at: datetime
    size: int
    sha256: str
    status: str  # a BidStatus: active = waiting for its file key (or the custodians' key)
    reminded_at: datetime | None
    checked_in_at: datetime | None = None  # 签到 (a record of attendance, 电子办法 29)


@dataclass(frozen=True, slots=True)
class OpeningDesk:
    lot_id: int
    state: str
    deadline: datetime
    threshold: int
    released: int
    key_recovered: bool
    record_published: bool
    custodians: list[CustodianStatus]
    bidders: list[BidderStatus] | None  # None until the opening's snapshot exists

    @property
    def waiting(self) -> int:
        """People a reminder would reach now (rate limits aside)."""
        late = [c for c in self.custodians if c.released_at is None]
        pending = [b for b in self.bidders or [] if b.status == BidStatus.ACTIVE]
        return len(late) + len(pending) if self.state in _REMINDABLE else 0

    def as_json(self) -> dict[str, Any]:
        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return {
            "lot_id": self.lot_id,
            "state": self.state,
            "deadline": self.deadline.isoformat(),
            "threshold": self.threshold,
            "released": self.released,
            "key_recovered": self.key_recovered,
            "record_published": self.record_published,
            "custodians": [
                {
                    "user_id": c.user_id,
                    "name": c.name,
                    "ready": c.ready,
                    "released_at": iso(c.released_at),
                    "reminded_at": iso(c.reminded_at),
                }
                for c in self.custodians
            ],
            "bidders": None
            if self.bidders is None
            else [
                {
                    "org_id": b.org_id,
                    "name": b.name,
                    "received_at": iso(b.received_at),
                    "size": b.size,
                    "sha256": b.sha256,
                    "status": b.status,
                    "reminded_at": iso(b.reminded_at),
                    "checked_in_at": iso(b.checked_in_at),
                }
                for b in self.bidders
            ],
        }


_REMINDABLE = (LotState.ANNOUNCED, LotState.OPENING)


async def _last_reminders(
    session: AsyncSession, lot_id: int
) -> tuple[dict[int, datetime], dict[int, datetime]]:
    rows = await session.execute(
        select(Reminder.user_id, Reminder.org_id, func.max(Reminder.created_at))
        .where(Reminder.lot_id == lot_id)
        .group_by(Reminder.user_id, Reminder.org_id)
    )
    users: dict[int, datetime] = {}
    orgs: dict[int, datetime] = {}
    for user_id, org_id, at in rows.all():
        if user_id is not None:
            users[user_id] = at
        elif org_id is not None:
            orgs[org_id] = at
    return users, orgs


def _ready(bundle: CustodyBundle | None, key: PartyKey | None) -> bool:
    if bundle is None or key is None:
        return False
    try:
        bundle.share_for(b64u_decode(key.enc_pub, length=32))
    except CryptoError:
        return False
    return True


async def opening_desk(session: AsyncSession, lot: Lot) -> OpeningDesk:
    """Where the lot's opening stands, person by person (read-only)."""
    custody = lot.custody or {}
    ids = [int(i) for i in custody.get("custodians", [])]
    bundle = None
    if custody.get("bundle"):
        try:
            bundle = CustodyBundle.from_dict(custody["bundle"])
        except (CryptoError, KeyError, TypeError, ValueError):
            bundle = None
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
    keys: dict[int, PartyKey] = {}
    for key in await session.scalars(
        select(PartyKey)
        .where(PartyKey.user_id.in_(ids), PartyKey.revoked_at.is_(None))
        .order_by(PartyKey.id)
    ):
        keys[key.user_id] = key  # the latest registered key is the custodian's current one
    released = {
        r.custodian_id: r.released_at
        for r in await session.scalars(select(ReleasedShare).where(ReleasedShare.lot_id == lot.id))
    }
    reminded_users, reminded_orgs = await _last_reminders(session, lot.id)
    custodians = [
        CustodianStatus(
            user_id=uid,
            name=users[uid].display_name if uid in users else f"#{uid}",
            ready=_ready(bundle, keys.get(uid)),
            released_at=released.get(uid),
            reminded_at=reminded_users.get(uid),
        )
        for uid in ids
    ]
    opening = await session.get(Opening, lot.id)
    bidders: list[BidderStatus] | None = None
    if opening is not None:
        snap = opening.bid_snapshot
        bid_ids = [int(b["bid_id"]) for b in snap]
        status = dict(
            (await session.execute(select(Bid.id, Bid.status).where(Bid.id.in_(bid_ids)))).all()
        )
        org_ids = {int(b["bidder_org_id"]) for b in snap}
        names = dict(
            (
                await session.execute(
                    select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
                )
            ).all()
        )
        checked_in = dict(
            (
                await session.execute(
                    select(CheckIn.org_id, CheckIn.checked_in_at).where(CheckIn.lot_id == lot.id)
                )
            ).all()
        )
        bidders = [
            BidderStatus(
                org_id=int(b["bidder_org_id"]),
                name=names.get(int(b["bidder_org_id"]), "—"),
                received_at=datetime.fromisoformat(b["received_at"]),
                size=int(b["size"]),
                sha256=str(b["sha256"]),
                status=status.get(int(b["bid_id"]), BidStatus.ACTIVE),
                reminded_at=reminded_orgs.get(int(b["bidder_org_id"])),
                checked_in_at=checked_in.get(int(b["bidder_org_id"])),
            )
            for b in snap
        ]
    return OpeningDesk(
        lot_id=lot.id,
        state=str(lot.state),
        deadline=lot.bid_deadline,
        threshold=int(custody.get("threshold", 0)),
        released=len(released),
        key_recovered=opening is not None and opening.key_recovered_at is not None,
        record_published=opening is not None and opening.record is not None,
        custodians=custodians,
        bidders=bidders,
    )


@dataclass(frozen=True, slots=True)
class Reminded:
    custodians: list[str]
    bidders: list[str]
    # Already reminded within REMIND_EVERY: skipped, with when each may be reminded again.
    skipped: list[tuple[str, datetime]]
    custodian_ids: list[int] = field(default_factory=list)
    org_ids: list[int] = field(default_factory=list)


async def remind(session: AsyncSession, lot_id: int, actor: Actor, *, now: datetime) -> Reminded:
    """Remind the custodians who have not released their share and, once the opening runs,
    the bidders whose bid still waits for its file key; at most once per person every
    REMIND_EVERY. Custodians see the reminder in their workspace, bidders as a notice."""
    lot = await get_lot(session, lot_id, actor)
    if not (actor.has(Role.STAFF) and manages(actor, lot.project)):
        raise Forbidden("无权操作该标段 / you may not act on this lot")
    if lot.state not in _REMINDABLE:
        raise Conflict("开标已结束，无需提醒 / the opening is over: nobody to remind")
    async with writing(session):
        done = await _send(session, lot, actor.user_id, now)
        if not done.custodians and not done.bidders:
            if done.skipped:
                again = min(at for _, at in done.skipped)
                raise TooManyRequests(
                    f"5分钟内已提醒过，{again.isoformat()} 后可再次提醒"
                    f" / already reminded within 5 minutes; again after {again.isoformat()}",
                    detail={"retry_at": again.isoformat()},
                )
            raise Conflict("没有需要提醒的人 / everyone has acted: nobody to remind")
        await _audit(session, actor, lot, now, done)
    return done


async def remind_waiting(
    session: AsyncSession, lot: Lot, actor: Actor, *, now: datetime
) -> Reminded:
    """The platform's own reminder during the decryption window (the scheduler calls it every
    minute): whoever has not acted and was not reminded in the last REMIND_EVERY."""
    async with writing(session):
        done = await _send(session, lot, None, now)
        if done.custodians or done.bidders:
            await _audit(session, actor, lot, now, done)
    return done


async def _audit(
    session: AsyncSession, actor: Actor, lot: Lot, now: datetime, done: Reminded
) -> None:
    await audit.append(
        session,
        actor,
        "opening.remind",
        "lot",
        lot.id,
        at=now,
        center_id=lot.project.center_id,
        detail={"custodians": done.custodian_ids, "bidders": done.org_ids},
    )


async def _send(session: AsyncSession, lot: Lot, sender_id: int | None, now: datetime) -> Reminded:
    """Inside the caller's write transaction: one reminder to each person who has not acted,
    unless reminded within REMIND_EVERY."""
    title = f"{lot.project.title} {lot.title}"
    # Two staff pressing at once (or staff and the scheduler) send one reminder each, not two.
    await advisory_lock(session, _LOCK_BASE + lot.id)
    desk = await opening_desk(session, lot)
    since = now - REMIND_EVERY
    done = Reminded([], [], [])
    for c in desk.custodians:
        if c.released_at is not None:
            continue
        if c.reminded_at is not None and c.reminded_at > since:
            done.skipped.append((c.name, c.reminded_at + REMIND_EVERY))
            continue
        text = f"请按时释放开标密钥分片：{title}"
        session.add(
            Reminder(
                lot_id=lot.id,
                user_id=c.user_id,
                text=text,
                sent_by_id=sender_id,
                created_at=now,
            )
        )
        done.custodians.append(c.name)
        done.custodian_ids.append(c.user_id)
    for b in desk.bidders or []:
        if lot.state != LotState.OPENING or b.status != BidStatus.ACTIVE:
            continue
        if b.reminded_at is not None and b.reminded_at > since:
            done.skipped.append((b.name, b.reminded_at + REMIND_EVERY))
            continue
        text = f"请尽快提交投标文件密钥完成解密：{title}"
        session.add(
            Reminder(
                lot_id=lot.id,
                org_id=b.org_id,
                text=text,
                sent_by_id=sender_id,
                created_at=now,
            )
        )
        session.add(
            Notice(
                lot_id=lot.id,
                bidder_org_id=b.org_id,
                kind="reminder",
                text=text,
                created_at=now,
            )
        )
        done.bidders.append(b.name)
        done.org_ids.append(b.org_id)
    return done


async def my_reminders(session: AsyncSession, actor: Actor, *, limit: int = 20) -> list[Reminder]:
    """The custodian's workspace notices, newest first."""
    if actor.user_id is None:
        return []
    rows = await session.scalars(
        select(Reminder)
        .where(Reminder.user_id == actor.user_id)
        .order_by(Reminder.created_at.desc(), Reminder.id.desc())
        .limit(limit)
    )
    return list(rows.all())
