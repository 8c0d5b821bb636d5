"""Bidders confirm the opening record or object to it; the center answers on the record.

条例 44: an objection to the opening is raised at the opening and answered there,
and the answer is recorded. Here the "opening" lasts a window after the signed
record is published (default 30 minutes, ``BIDHALL_OBJECTION_WINDOW_MINUTES``);
its end is stored with the record, so a later change of the setting moves no
running window. The signed record itself never changes: confirmations,
objections and answers are rows beside it, each written to the audit log, shown
in the hall, on the record page and in the PDF.

A bidder confirms or objects, not both: one objection, answered on the record, after
which it may confirm; nothing after a confirmation. Checked inside the writing
transaction and held by two unique indexes (models.py), so of racing requests one wins
and the other is a 409 citing 条例 44 with nothing written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.hall.models import OpeningResponse, ResponseKind
from bidding.hall.record_view import RecordView as RecordView  # re-exported for callers
from bidding.hall.record_view import record_view as record_view
from bidding.opening.models import Opening, OpeningReview
from bidding.participation.models import Notice
from trading.audit import service as audit
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.parties.models import Organization
from trading.projects.models import Lot
from trading.projects.service import get_lot, manages
from trading.rules.rulesets import LAW_REG

DEFAULT_WINDOW_MINUTES = 30
MAX_TEXT = 2000
OBJECTION_RULE = f"{LAW_REG} 第44条"  # objections to the opening: raised and answered there
OBJECTION_ANSWERED = "objection_answered"  # the objecting bidder's notice of the answer


def objection_window(settings: Settings) -> timedelta:
    """How long bidders may confirm or object after the record is published."""
    minutes = getattr(settings, "objection_window_minutes", None) or int(
        os.environ.get("BIDHALL_OBJECTION_WINDOW_MINUTES") or DEFAULT_WINDOW_MINUTES
    )
    return timedelta(minutes=minutes)


async def _published(session: AsyncSession, lot: Lot) -> Opening:
    opening = await session.get(Opening, lot.id)
    if opening is None or opening.record is None:
        raise Conflict("开标记录尚未公布 / the opening record is not published yet")
    return opening


async def window_end(session: AsyncSession, opening: Opening, settings: Settings) -> datetime:
    review = await session.get(OpeningReview, opening.lot_id)
    if review is not None:
        return review.window_ends_at
    # A record published before windows were stored: the window counts from its publication.
    assert opening.completed_at is not None
    return opening.completed_at + objection_window(settings)


def bidder_org_ids(opening: Opening) -> set[int]:
    """The organisations whose bids were in the opening (the snapshot taken at the deadline)."""
    return {int(b["bidder_org_id"]) for b in opening.bid_snapshot}


def _clean(text: str, what: str) -> str:
    text = text.strip()
    if len(text) < 2 or len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"{what}须为2至{MAX_TEXT}个字符 / {what} must be 2 to {MAX_TEXT} characters"
        )
    return text


async def _mine(session: AsyncSession, lot_id: int, org_id: int | None) -> list[OpeningResponse]:
    return list(
        await session.scalars(
            select(OpeningResponse).where(
                OpeningResponse.lot_id == lot_id, OpeningResponse.bidder_org_id == org_id
            )
        )
    )


def _refusal(kind: str, mine: list[OpeningResponse]) -> str | None:
    """Why this bidder may not respond so now (条例 44: confirm or object, not both; an
    objection is raised once and answered on the record, and then the bidder may confirm)."""
    if any(r.kind == ResponseKind.CONFIRM for r in mine):
        return (
            "贵方已确认开标记录，确认后不能再提出异议"
            " / the opening record was confirmed: no objection can follow a confirmation"
        )
    objection = next((r for r in mine if r.kind == ResponseKind.OBJECTION), None)
    if objection is None:
        return None
    if kind == ResponseKind.OBJECTION:
        return (
            "贵方已对开标记录提出异议，每位投标人只能提出一次"
            " / an objection to this record was already raised"
        )
    if objection.answer is None:
        return (
            "贵方的异议尚未答复，答复后方可确认开标记录"
            " / the objection awaits its answer: confirm once it is answered"
        )
    return None


@dataclass(frozen=True)
class MyResponses:
    """A bidder's confirmation or objection on a published opening record, and what it may
    still do (the same rules `respond` applies inside its transaction)."""

    ends: datetime
    mine: list[OpeningResponse]
    can_confirm: bool
    can_object: bool


async def my_responses(
    session: AsyncSession, lot: Lot, actor: Actor, *, now: datetime, settings: Settings
) -> MyResponses | None:
    """None before the record is published or for an organisation that did not bid."""
    opening = await session.get(Opening, lot.id)
    if opening is None or opening.record is None or actor.org_id not in bidder_org_ids(opening):
        return None
    ends = await window_end(session, opening, settings)
    mine = await _mine(session, lot.id, actor.org_id)
    open_ = now < ends and actor.has(Role.BIDDER)
    confirmed = any(r.kind == ResponseKind.CONFIRM for r in mine)
    return MyResponses(
        ends=ends,
        mine=mine,
        can_confirm=open_ and not confirmed and _refusal(ResponseKind.CONFIRM, mine) is None,
        can_object=open_ and _refusal(ResponseKind.OBJECTION, mine) is None,
    )


def _refused(message: str) -> Conflict:
    return Conflict(message, detail={"rule": "opening_objection", "citation": OBJECTION_RULE})


async def respond(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    kind: str,
    text: str,
    *,
    now: datetime,
    settings: Settings,
) -> OpeningResponse:
    """A bidder of the lot confirms the record or objects, inside the window; not both."""
    if kind not in (ResponseKind.CONFIRM, ResponseKind.OBJECTION):
        raise ValidationFailed(f"unknown response kind {kind!r}")
    lot = await get_lot(session, lot_id, actor)
    center_id = lot.project.center_id
    opening = await _published(session, lot)
    if not actor.has(Role.BIDDER) or actor.org_id not in bidder_org_ids(opening):
        raise Forbidden(
            "只有本标段的投标人可以确认或提出异议 / only this lot's bidders may respond"
        )
    ends = await window_end(session, opening, settings)
    if now >= ends:
        raise Conflict(
            f"异议及确认期限已于 {ends.isoformat()} 截止 / the window closed at {ends.isoformat()}"
        )
    text = _clean(text, "异议内容") if kind == ResponseKind.OBJECTION else ""
    try:
        async with writing(session):
            # Checked inside the writing transaction; the unique indexes decide a race.
            mine = await _mine(session, lot_id, actor.org_id)
            confirmed = next((r for r in mine if r.kind == ResponseKind.CONFIRM), None)
            if kind == ResponseKind.CONFIRM and confirmed is not None:
                return confirmed  # confirming twice confirms once
            refusal = _refusal(kind, mine)
            if refusal is not None:
                raise _refused(refusal)
            response = OpeningResponse(
                lot_id=lot_id,
                bidder_org_id=actor.org_id or 0,
                user_id=actor.user_id or 0,
                kind=kind,
                text=text,
                created_at=now,
            )
            session.add(response)
            await session.flush()
            await audit.append(
                session,
                actor,
                "opening.confirmed" if kind == ResponseKind.CONFIRM else "opening.objection",
                "lot",
                lot_id,
                at=now,
                center_id=center_id,
                detail={"response_id": response.id, "text": text},
            )
    except IntegrityError:
        # A racing response won (uq_opening_response_kind / _live): nothing of this one stays.
        mine = await _mine(session, lot_id, actor.org_id)
        confirmed = next((r for r in mine if r.kind == ResponseKind.CONFIRM), None)
        if kind == ResponseKind.CONFIRM and confirmed is not None:
            return confirmed  # the racing confirmation is this one's answer too
        raise _refused(
            _refusal(kind, mine) or "与已有记录冲突 / conflicts with an existing record"
        ) from None
    events.publish(lot_id, events.RESPONSE, await response_json(session, response))
    return response


async def answer(
    session: AsyncSession,
    lot_id: int,
    response_id: int,
    actor: Actor,
    text: str,
    *,
    now: datetime,
) -> OpeningResponse:
    """The center's staff answer an objection on the record (once; the answer stands), and the
    objecting bidder finds the answer among its notices."""
    lot = await get_lot(session, lot_id, actor)
    center_id = lot.project.center_id
    if not (actor.has(Role.STAFF) and manages(actor, lot.project)):
        raise Forbidden("只有本交易中心工作人员可以答复异议 / only the center's staff answer")
    await _published(session, lot)
    response = await session.get(OpeningResponse, response_id)
    if response is None or response.lot_id != lot.id or response.kind != ResponseKind.OBJECTION:
        raise NotFound(f"异议 {response_id} 不存在 / objection {response_id} not found")
    text = _clean(text, "答复内容")
    answered = Conflict("该异议已答复 / this objection has been answered")
    if response.answer is not None:
        raise answered
    async with writing(session):
        # Compare-and-set: of two racing answers, the first stands.
        done = await session.execute(
            update(OpeningResponse)
            .where(OpeningResponse.id == response_id, OpeningResponse.answer.is_(None))
            .values(answer=text, answered_at=now, answered_by_id=actor.user_id)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise answered
        session.add(
            Notice(
                lot_id=lot_id,
                bidder_org_id=response.bidder_org_id,
                kind=OBJECTION_ANSWERED,
                text=text,
                created_at=now,
            )
        )
        await audit.append(
            session,
            actor,
            "opening.objection_answered",
            "lot",
            lot_id,
            at=now,
            center_id=center_id,
            detail={"response_id": response_id, "answer": text},
        )
    await session.refresh(response)
    events.publish(lot_id, events.RESPONSE, await response_json(session, response))
    return response


async def response_json(session: AsyncSession, response: OpeningResponse) -> dict[str, Any]:
    org = await session.get(Organization, response.bidder_org_id)
    return _as_json(response, org)


def _as_json(response: OpeningResponse, org: Organization | None) -> dict[str, Any]:
    return {
        "id": response.id,
        "kind": response.kind,
        "bidder": org.name if org else "",
        "uscc": org.uscc if org else "",
        "text": response.text,
        "created_at": response.created_at.isoformat(),
        "answer": response.answer,
        "answered_at": response.answered_at.isoformat() if response.answered_at else None,
    }


async def responses(session: AsyncSession, lot_id: int) -> list[dict[str, Any]]:
    """Every confirmation, objection and answer on a lot's record, oldest first (public)."""
    rows = list(
        await session.scalars(
            select(OpeningResponse)
            .where(OpeningResponse.lot_id == lot_id)
            .order_by(OpeningResponse.created_at, OpeningResponse.id)
        )
    )
    ids = {r.bidder_org_id for r in rows}
    orgs = (
        {
            o.id: o
            for o in await session.scalars(select(Organization).where(Organization.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [_as_json(r, orgs.get(r.bidder_org_id)) for r in rows]
