"""The bidders' decryption window (电子办法 30) and what ends it (电子办法 31).

The window's length is the lot's own (`Lot.decrypt_window_minutes`, set at registration within
the ruleset's bounds) or the ruleset's; it is fixed when the opening starts (stored on the
opening row). Until it ends each
bidder may open its own bid with its own key, and the custodians' key opens what is left as
soon as k shares are in. When it ends, a bid still sealed is decided, so the opening always
ends: the custodians' key opens it if enough shares were released; otherwise it is

- 撤销 (revoked: the bidder's fault) when the bidder could have opened it with its own stanza
  and did not, or
- 撤回 (withdrawn, ``failed`` here: not the bidder's fault) when only the custodians' key
  could open it and they did not release enough shares, or the platform lost the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.opening import lot_window_messages as _messages  # noqa: F401 (registers t())
from bidding.opening.decryption import Outcome, Sealed, record_outcomes
from bidding.opening.lease import renew_lease
from bidding.opening.models import Opening, ReleasedShare
from bidding.opening.record import SYSTEM_OPENER
from bidding.submission.models import Bid, BidStatus
from crypto import envelope
from crypto.errors import CryptoError
from crypto.labels import BIDDER_LABEL
from trading.audit import service as audit
from trading.enums import LotState
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.db import writing
from trading.kernel.runtime import Context
from trading.parties.models import Organization
from trading.projects import windows
from trading.projects.models import Lot
from trading.rules.base import Ruleset

E_BIDDING = "电子招标投标办法"
# Used where a ruleset has no such rule (a method without a sealed opening of its own).
DEFAULT_DECRYPT_MINUTES = windows.DEFAULT_MINUTES
DEFAULT_CHECKIN_MINUTES = 30


def _minutes(ruleset: Ruleset, rule_id: str, default: int) -> timedelta:
    rule = ruleset.get(rule_id)
    return timedelta(minutes=int(rule.value) if rule is not None else default)


def decrypt_window(ruleset: Ruleset, lot_minutes: int | None = None) -> timedelta:
    """The lot's own window when it set one, else the ruleset's."""
    return timedelta(minutes=windows.minutes(lot_minutes, ruleset))


def checkin_window(ruleset: Ruleset) -> timedelta:
    return _minutes(ruleset, "checkin_window_minutes", DEFAULT_CHECKIN_MINUTES)


def window_end(opening: Opening) -> datetime:
    """When the bidders' window ends; an opening started before windows existed gets the
    default one from its start."""
    if opening.decrypt_ends_at is not None:
        return opening.decrypt_ends_at
    return opening.started_at + timedelta(minutes=DEFAULT_DECRYPT_MINUTES)


def window_over(opening: Opening, now: datetime) -> bool:
    return now >= window_end(opening)


def _has_bidder_stanza(blobs: LocalBlobStore, sha256: str) -> bool | None:
    """Whether the bidder could open the bid itself; None when the platform lost the file."""
    if not blobs.exists(sha256):
        return None
    try:
        with blobs.open(sha256) as src:
            return BIDDER_LABEL in envelope.read_header(src).labels
    except CryptoError:
        return False  # an unreadable header is the bidder's own envelope


def _cause(own_stanza: bool | None, released: int, threshold: int) -> Outcome:
    shares = f"{released}/{threshold}"
    if own_stanza is None:
        return (
            BidStatus.FAILED,
            None,
            None,
            f"平台未能保存投标文件，视为撤回（{E_BIDDING} 第31条）"
            f" / the platform lost the sealed file: withdrawn (Art. 31)",
        )
    if own_stanza:
        return (
            BidStatus.REVOKED,
            None,
            None,
            f"投标人未在解密时限内解密，开标密钥分片 {shares}，视为撤销（{E_BIDDING} 第31条）"
            f" / the bidder did not decrypt within the window, custodians released {shares}"
            " shares: revoked (Art. 31)",
        )
    return (
        BidStatus.FAILED,
        None,
        None,
        f"开标密钥保管人未释放足够的密钥分片（{shares}），视为撤回（{E_BIDDING} 第31条）"
        f" / the custodians released {shares} shares, too few to open it: withdrawn (Art. 31)",
    )


async def decide_unopened(
    session: AsyncSession,
    lot: Lot,
    opening: Opening,
    pending: Sequence[Bid],
    ctx: Context,
    owner: str,
) -> bool:
    """The window is over and the custodians' key is not available: decide every bid still
    sealed with its cause, in one transaction under the lease (compare-and-set per bid, so a
    bidder's release racing this decides the bid once: whichever commits first). False if the
    lease was lost."""
    custody = lot.custody or {}
    threshold = int(custody.get("threshold", 1))
    released = (
        await session.scalar(
            select(func.count(ReleasedShare.id)).where(ReleasedShare.lot_id == lot.id)
        )
        or 0
    )
    usccs = dict(
        (
            await session.execute(
                select(Organization.id, Organization.uscc).where(
                    Organization.id.in_({b.bidder_org_id for b in pending})
                )
            )
        ).all()
    )
    sealed = [Sealed.of(b, usccs[b.bidder_org_id]) for b in pending]
    own = await asyncio.to_thread(lambda: [_has_bidder_stanza(ctx.blobs, s.sha256) for s in sealed])
    decided = [(s, _cause(o, released, threshold)) for s, o in zip(sealed, own, strict=True)]
    async with writing(session):
        if not await renew_lease(session, lot.id, owner, ctx.clock):
            return False
        ids = await record_outcomes(session, lot, decided, SYSTEM_OPENER, ctx)
        await audit.append(
            session,
            SYSTEM_OPENER,
            "opening.window_closed",
            "lot",
            lot.id,
            at=ctx.now,
            center_id=lot.project.center_id,
            detail={
                "ends_at": window_end(opening).isoformat(),
                "shares": released,
                "threshold": threshold,
                "decided": {str(b.id): o[0] for b, o in decided if b.id in ids},
            },
        )
    total = len(opening.bid_snapshot)
    events.publish(lot.id, events.DECRYPT, {"done": total, "total": total, "window_closed": True})
    return True


async def running_windows(session: AsyncSession) -> list[tuple[int, datetime]]:
    """Openings still in progress and when their bidders' window ends (for the scheduler)."""
    rows = await session.execute(
        select(Opening)
        .join(Lot, Lot.id == Opening.lot_id)
        .where(Lot.state == LotState.OPENING, Opening.record.is_(None))
    )
    return [(o.lot_id, window_end(o)) for o in rows.scalars()]
