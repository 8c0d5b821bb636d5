"""Clarifications and amendments (澄清或修改) of a lot still taking bids; one that affects bid
preparation inside the clarification period moves the deadline (法 23, 条例 21)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation.inbox import notify_registered
from bidding.participation.service import open_for_bidders
from trading.announcements import builders as announcements
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.cache import invalidate_on_commit
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, ValidationFailed
from trading.kernel.present import when
from trading.projects.lifecycle import BiddingClosed, hold_for_bidding
from trading.projects.models import Lot
from trading.projects.publishing import effective_ruleset, lot_plan
from trading.projects.service import get_lot, manages
from trading.rules.engine import amendment_moves_deadline


async def amend(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    *,
    title: str,
    body: str,
    affects_bids: bool,
    new_deadline: datetime | None,
    clock: Clock,
    settings: Settings,
) -> tuple[Lot, datetime | None]:
    """Publish a clarification/amendment; one that affects bid preparation and comes later than
    the ruleset's clarification period before the deadline moves the deadline (法 23, 条例 21).

    Returns the lot and the old deadline when it moved (the caller reschedules the opening).
    """
    now = clock.now()
    lot = await get_lot(session, lot_id, actor)
    if not manages(actor, lot.project):
        raise Forbidden("无权发布澄清或修改 / you may not amend this lot")
    open_for_bidders(lot, now, "发布澄清或修改")
    if new_deadline is not None and (new_deadline.tzinfo is None or new_deadline <= now):
        raise ValidationFailed(
            "new_deadline: 需要晚于当前时间且带时区 / must be aware and in the future"
        )
    if new_deadline is not None and new_deadline < lot.bid_deadline:
        raise ValidationFailed(
            "new_deadline: 不能提前投标截止时间 / a deadline cannot move earlier"
        )
    target = new_deadline or lot.bid_deadline
    required: datetime | None = None
    if affects_bids:
        ruleset = effective_ruleset(lot.project, lot.project.center, settings)
        plan = replace(lot_plan(lot.project, lot), bid_deadline=target)
        required = amendment_moves_deadline(
            plan,
            now,
            ruleset,
            tz=ZoneInfo(lot.project.center.timezone),
            sandbox_factor=lot.project.accelerator,
        )
    final = max(target, required) if required is not None else target
    old = lot.bid_deadline
    async with writing(session):
        # Held like a submission: a deadline moves only while the lot still takes bids.
        try:
            now = await hold_for_bidding(session, lot.id, clock)
        except BiddingClosed as exc:
            raise Conflict(
                "投标截止后不能发布澄清或修改 / no longer possible after the bid deadline"
            ) from exc
        lot.bid_deadline = final
        session.add(lot)
        invalidate_on_commit(session)  # the lot page shows the deadline
        moved_to = when(final, lot.project.center.timezone)
        note = "" if final == old else f"（投标截止/开标时间变更为 {moved_to}）"
        await announcements.amendment(
            session,
            lot,
            actor,
            at=now,
            project=lot.project,
            ruleset=effective_ruleset(lot.project, lot.project.center, settings),
            title=title,
            text=body,
            deadline_before=old,
            deadline_after=final,
        )
        await notify_registered(session, lot, "amendment", f"{title}{note}", now)
        await audit.append(
            session,
            actor,
            "lot.amend",
            "lot",
            lot.id,
            at=now,
            center_id=lot.project.center_id,
            detail={
                "affects_bids": affects_bids,
                "deadline_before": old.isoformat(),
                "deadline_after": final.isoformat(),
                "rule_required": required.isoformat() if required else None,
            },
        )
    return lot, (old if final != old else None)
