"""暗标: on a lot whose technical part is evaluated anonymously the committee sees 投标人A, B, …
instead of companies until the chair finalises. The letters are a random permutation drawn once,
when the first member declares (bids are hidden before), and stored; nothing in a letter follows
the bid's id (the order of submission) or the company."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import opened_bids
from evaluation.clarify.models import AnonymousLabel
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.errors import ValidationFailed
from trading.projects.lifecycle import hold_for_opening
from trading.projects.models import Lot

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letter(n: int) -> str:
    """A, B, … Z, AA, AB, … (bijective base 26)."""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = ALPHABET[rest] + out
    return out


def display(letter_: str, lang: str = "zh") -> str:
    return f"投标人{letter_}" if lang == "zh" else f"Bidder {letter_}"


async def labels(session: AsyncSession, lot_id: int) -> dict[int, str]:
    """bid id → letter (empty when none were drawn: the lot is not 暗标 or nobody declared)."""
    rows = await session.execute(
        select(AnonymousLabel.bid_id, AnonymousLabel.letter).where(AnonymousLabel.lot_id == lot_id)
    )
    return {bid_id: x for bid_id, x in rows.all()}


async def assign(session: AsyncSession, actor: Actor, lot: Lot, *, now: datetime) -> None:
    """Inside the caller's write transaction: draw the letters of an 暗标 lot's opened bids once.
    The lot row is held first, so two members declaring at once draw one permutation; the unique
    (lot, letter) constraint is the backstop."""
    if not lot.anonymous_technical:
        return
    await hold_for_opening(session, lot.id)
    if await labels(session, lot.id):
        return
    bids = [b.bid_id for b in await opened_bids(session, lot.id)]
    order = list(range(len(bids)))
    secrets.SystemRandom().shuffle(order)
    for bid_id, n in zip(bids, order, strict=True):
        session.add(AnonymousLabel(bid_id=bid_id, lot_id=lot.id, letter=letter(n)))
    await session.flush()
    # The count only: the mapping itself stays secret until the chair finalises.
    await audit.append(
        session, actor, "anonymity.assigned", "lot", lot.id, at=now,
        center_id=lot.project.center_id, detail={"bids": len(bids)},
    )  # fmt: skip


_BID_REF = re.compile(r"\b(qualification|scores)\.(\d+)\b")


def relabel(exc: ValidationFailed, mapping: dict[int, str]) -> ValidationFailed:
    """The same refusal with bid ids in its field paths replaced by letters (a masked view must
    never see which id is which letter)."""

    def sub(text: str) -> str:
        return _BID_REF.sub(lambda m: f"{m[1]}.{mapping.get(int(m[2]), '?')}", text)

    errors = [sub(str(e)) for e in exc.detail.get("errors", [])]  # type: ignore[union-attr]
    return ValidationFailed(sub(exc.message), detail={"errors": errors} if errors else None)
