"""A bidder's own result (中标/未中标 and why), from what is published, at the stage it is
published: the single entry point of the result page, its JSON twin and the result notices.

Nothing is read before its publication: while the lot is being evaluated a bidder learns only
that (评标中) and its own opening outcome, which the signed opening record already published.
From the candidates publicity (条例 54) on, the published evaluation (its input and ranking, the
same document `bidhall evaluate` recomputes) gives the bid's qualification, the reasons a bid was
rejected, and its rank and score; after the award the lot's award names the winning bid. A lot
that failed after evaluation published its evaluation with the failure announcement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import decided_lots, opening_bidders, opening_record
from evaluation.award.service import latest_result
from trading.announcements.letters import letters_of
from trading.announcements.models import Announcement, AnnouncementKind, AwardLetter
from trading.enums import LotState, Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.errors import NotFound
from trading.parties.models import Organization
from trading.projects.models import Lot
from trading.projects.service import get_lot


class Stage:
    """How far the lot's result is published (the page shows this much and no more)."""

    EVALUATING = "evaluating"  # opened or evaluated: 评标中
    PUBLICITY = "publicity"  # candidates published (中标候选人公示)
    AWARDED = "awarded"  # the result is published (中标结果公告) and the letters sent
    FAILED = "failed"  # 流标
    CANCELLED = "cancelled"  # 终止


STAGES = {
    LotState.OPENED: Stage.EVALUATING,
    LotState.EVALUATED: Stage.EVALUATING,
    LotState.PUBLICITY: Stage.PUBLICITY,
    LotState.AWARDED: Stage.AWARDED,
    LotState.FAILED: Stage.FAILED,
    LotState.CANCELLED: Stage.CANCELLED,
}


@dataclass(frozen=True)
class Published:
    """An announcement of the lot's result, as the bidder's page links it."""

    id: int
    kind: str
    title: str
    published_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True)
class Letter:
    id: int
    kind: str  # award (中标通知书) | result (中标结果通知书)
    title: str
    sha256: str
    created_at: datetime

    @property
    def href(self) -> str:
        return f"/api/v1/letters/{self.id}/letter.pdf"


@dataclass(frozen=True)
class BidderResult:
    """What one bidder may know of its own bid on a lot, now."""

    lot: Lot
    org: Organization
    bid_id: int
    stage: str
    # The signed opening record's row for this bidder (public since the opening).
    outcome: str  # decrypted | revoked | failed
    cause: str
    price: Decimal | None
    # From the published evaluation; None until it is published.
    qualified: bool | None = None
    reasons: tuple[str, ...] = ()
    rank: int | None = None
    candidate: bool = False
    candidates: int = 0  # how many candidates the publicity names
    total: Decimal | None = None
    evaluated_price: Decimal | None = None
    publicity_ends: datetime | None = None
    # After the award.
    won: bool | None = None
    award_price: Decimal | None = None
    letter: Letter | None = None
    failure_reason: str = ""
    announcements: tuple[Published, ...] = ()

    @property
    def zone(self) -> str:
        return self.lot.project.center.timezone


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


async def _published(session: AsyncSession, lot_id: int) -> dict[str, Published]:
    """The lot's published result announcements by kind (the latest of each)."""
    rows = await session.scalars(
        select(Announcement)
        .where(
            Announcement.lot_id == lot_id,
            Announcement.published_at.is_not(None),
            Announcement.kind.in_(
                [AnnouncementKind.CANDIDATES, AnnouncementKind.RESULT, AnnouncementKind.FAILURE]
            ),
        )
        .order_by(Announcement.published_at, Announcement.id)
    )
    found: dict[str, Published] = {}
    for a in rows:
        assert a.published_at is not None
        found[a.kind] = Published(a.id, a.kind, a.title, a.published_at, a.ends_at)
    return found


async def _candidate_ranks(session: AsyncSession, announcement_id: int) -> set[int]:
    facts = await session.scalar(
        select(Announcement.facts).where(Announcement.id == announcement_id)
    )
    return {int(c["rank"]) for c in (facts or {}).get("candidates", [])}


async def bidder_result(session: AsyncSession, lot_id: int, actor: Actor) -> BidderResult:
    """The signed-in bidder's result on the lot. Anyone else — another bidder, a bidder whose bid
    was not decided at the opening, an unknown lot — gets the same 404."""
    gone = NotFound(f"没有贵方在标段 {lot_id} 的投标结果 / no result of yours on lot {lot_id}")
    if actor.org_id is None or not actor.has(Role.BIDDER):
        raise gone
    try:
        lot = await get_lot(session, lot_id, actor)
    except NotFound:
        raise gone from None
    stage = STAGES.get(LotState(lot.state))
    mine = [b for b in await opening_bidders(session, lot.id) if b.org_id == actor.org_id]
    signed = await opening_record(session, lot.id)
    if stage is None or not mine or signed is None:
        raise gone
    bid = mine[-1]
    row = next((r for r in signed["record"]["rows"] if r["uscc"] == bid.uscc), {})
    org = await session.get(Organization, actor.org_id)
    assert org is not None
    base = BidderResult(
        lot=lot,
        org=org,
        bid_id=bid.bid_id,
        stage=stage,
        outcome=str(row.get("outcome", "")),
        cause=str(row.get("cause") or ""),
        price=_dec(row.get("price")),
        failure_reason=lot.failure_reason if stage == Stage.FAILED else "",
    )
    if stage in (Stage.EVALUATING, Stage.CANCELLED):
        return base  # 评标中: nothing of the evaluation before it is published
    published = await _published(session, lot.id)
    result = await latest_result(session, lot.id)
    evaluated = stage in (Stage.PUBLICITY, Stage.AWARDED) or (
        stage == Stage.FAILED and AnnouncementKind.FAILURE in published and result is not None
    )
    found = next(
        (
            b
            for b in (result.ranking["bids"] if result and evaluated else [])
            if b["bid_id"] == str(bid.bid_id)
        ),
        None,
    )
    candidates = published.get(AnnouncementKind.CANDIDATES)
    ranks = await _candidate_ranks(session, candidates.id) if candidates else set()
    rank = found.get("rank") if found else None
    letter = next((x for x in await letters_of(session, actor) if x.lot_id == lot.id), None)
    won = (lot.award_bid_id == bid.bid_id) if stage == Stage.AWARDED else None
    return replace(
        base,
        qualified=None if found is None else not found["excluded"],
        reasons=tuple(found.get("reasons") or ()) if found else (),
        rank=rank,
        candidate=rank is not None and rank in ranks,
        candidates=len(ranks),
        total=_dec(found.get("total")) if found else None,
        evaluated_price=_dec(found.get("evaluated_price")) if found else None,
        publicity_ends=candidates.ends_at if candidates else None,
        won=won,
        # Only the winner's own price: a loser's result never reads as if the award were its own.
        award_price=lot.award_price if won else None,
        letter=_letter(letter) if letter else None,
        announcements=tuple(published.values()),
    )


def _letter(x: AwardLetter) -> Letter:
    return Letter(x.id, x.kind, x.title, x.sha256, x.created_at)


# ---- the result notices (the bidder's inbox) ---------------------------------------------------


@dataclass(frozen=True)
class ResultNotice:
    """One line of the bidder's notices, in the shape of bidding's inbox items."""

    id: int
    lot_id: int
    kind: str  # candidates | bid_rejected | result
    text: str
    created_at: datetime
    href: str | None = None


NOTICE_STATES = (LotState.PUBLICITY, LotState.AWARDED, LotState.FAILED)


async def result_notices(session: AsyncSession, actor: Actor) -> list[ResultNotice]:
    """The notices of the bidder's results, derived from what is published (no copy to keep in
    step): the candidates published (its rank, or not a candidate), its bid rejected with the
    reasons, the result (中标/未中标, with the letter)."""
    if actor.org_id is None or not actor.has(Role.BIDDER):
        return []
    lot_ids = await decided_lots(session, actor.org_id)
    if not lot_ids:
        return []
    states = await session.execute(
        select(Lot.id).where(Lot.id.in_(lot_ids), Lot.state.in_(NOTICE_STATES))
    )
    found: list[ResultNotice] = []
    for (lot_id,) in states.all():
        try:
            mine = await bidder_result(session, lot_id, actor)
        except NotFound:  # e.g. a lot that failed before its record was signed: nothing to tell
            continue
        found += _notices_of(mine)
    return found


def _notices_of(r: BidderResult) -> list[ResultNotice]:
    by_kind = {a.kind: a for a in r.announcements}
    zone = r.zone
    out: list[ResultNotice] = []
    candidates = by_kind.get(AnnouncementKind.CANDIDATES)
    if candidates is not None:
        if r.candidate:
            text = f"贵方投标排名第{r.rank}名，为中标候选人"
        else:
            text = "贵方未被推荐为中标候选人"
        if r.publicity_ends is not None:
            text += f"；公示期至{present.when(r.publicity_ends, zone)}"
        out.append(
            ResultNotice(
                candidates.id, r.lot.id, "candidates", text + "。", candidates.published_at
            )
        )
    told = candidates or by_kind.get(AnnouncementKind.FAILURE)
    if r.qualified is False and told is not None:
        reasons = "；".join(r.reasons) or "见评标结果"
        out.append(
            ResultNotice(
                told.id, r.lot.id, "bid_rejected", f"贵方投标被否决：{reasons}。", told.published_at
            )
        )
    result = by_kind.get(AnnouncementKind.RESULT)
    if result is not None and r.won is not None:
        text = f"贵方中标，中标价{present.yuan(r.award_price)}元。" if r.won else "贵方未中标。"
        out.append(
            ResultNotice(
                result.id,
                r.lot.id,
                "result",
                text,
                result.published_at,
                r.letter.href if r.letter else None,
            )
        )
    return out
