"""Bidders confirm the opening record or object to it; the center answers on the record.

条例 44: an objection to the opening is raised at the opening and answered there,
and the answer is recorded. Here the "opening" lasts a window after the signed
record is published (default 30 minutes, ``BIDHALL_OBJECTION_WINDOW_MINUTES``);
its end is stored with the record, so a later change of the setting moves no
running window. The signed record itself never changes: confirmations,
objections and answers are rows beside it, each written to the audit log, shown
in the hall, on the record page and in the PDF.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.hall import events
from bidding.hall.models import OpeningResponse, ResponseKind
from bidding.opening.models import Opening, OpeningReview
from trading.audit import service as audit
from trading.enums import Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.parties.models import Organization
from trading.projects.models import Lot
from trading.projects.service import get_lot, manages

DEFAULT_WINDOW_MINUTES = 30
MAX_TEXT = 2000


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


async def _confirmation(
    session: AsyncSession, lot_id: int, org_id: int | None
) -> OpeningResponse | None:
    return await session.scalar(
        select(OpeningResponse).where(
            OpeningResponse.lot_id == lot_id,
            OpeningResponse.bidder_org_id == org_id,
            OpeningResponse.kind == ResponseKind.CONFIRM,
        )
    )


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
    """A bidder of the lot confirms the record or objects, inside the window."""
    if kind not in (ResponseKind.CONFIRM, ResponseKind.OBJECTION):
        raise ValidationFailed(f"unknown response kind {kind!r}")
    lot = await get_lot(session, lot_id, actor)
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
    if kind == ResponseKind.OBJECTION:
        text = _clean(text, "异议内容")
    else:
        text = ""
        existing = await _confirmation(session, lot.id, actor.org_id)
        if existing is not None:  # confirming twice confirms once
            return existing
    try:
        async with writing(session):
            response = OpeningResponse(
                lot_id=lot.id,
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
                lot.id,
                at=now,
                center_id=lot.project.center_id,
                detail={"response_id": response.id, "text": text},
            )
    except IntegrityError:
        # A racing confirmation won (uq_opening_response_confirm); it is this one's answer too.
        # (The rollback expired `lot`: its id is read from the path.)
        existing = None
        if kind == ResponseKind.CONFIRM:
            existing = await _confirmation(session, lot_id, actor.org_id)
        if existing is None:
            raise
        return existing
    events.publish(lot.id, events.RESPONSE, await response_json(session, response))
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
    """The center's staff answer an objection on the record (once; the answer stands)."""
    lot = await get_lot(session, lot_id, actor)
    if not (actor.has(Role.STAFF) and manages(actor, lot.project)):
        raise Forbidden("只有本交易中心工作人员可以答复异议 / only the center's staff answer")
    await _published(session, lot)
    response = await session.get(OpeningResponse, response_id)
    if response is None or response.lot_id != lot.id or response.kind != ResponseKind.OBJECTION:
        raise NotFound(f"异议 {response_id} 不存在 / objection {response_id} not found")
    if response.answer is not None:
        raise Conflict("该异议已答复 / this objection has been answered")
    text = _clean(text, "答复内容")
    async with writing(session):
        response.answer, response.answered_at, response.answered_by_id = text, now, actor.user_id
        session.add(response)
        await audit.append(
            session,
            actor,
            "opening.objection_answered",
            "lot",
            lot.id,
            at=now,
            center_id=lot.project.center_id,
            detail={"response_id": response.id, "answer": text},
        )
    events.publish(lot.id, events.RESPONSE, await response_json(session, response))
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


# ---- the record as a center prints it (page and PDF read the same view) ------------------------


@dataclass(frozen=True)
class Column:
    """One price-form column (开标一览表): its key in the sealed form and its labels."""

    key: str
    zh: str
    en: str
    numeric: bool = False


# The form's fixed fields (crypto.bundle.make_price_form), in a center's order; whatever else
# a bidder's form carries follows under its own key, so no sealed column goes unread.
PRICE_COLUMNS = (
    Column("price", "投标报价(元)", "Bid price (yuan)", numeric=True),
    Column("price_capital", "投标报价(大写)", "Bid price in words"),
    Column("duration_days", "工期(日历天)", "Duration (days)", numeric=True),
    Column("quality", "质量", "Quality"),
)
CURRENCY = Column("currency", "币种", "Currency")
EXTRA_LABELS = {
    "discount_rate": ("下浮率", "Discount rate"),
    "warranty_months": ("质保期(月)", "Warranty (months)"),
    "project_manager": ("项目经理", "Project manager"),
    "delivery_days": ("交货期(日历天)", "Delivery (days)"),
    "remarks": ("备注", "Remarks"),
}


@dataclass(frozen=True)
class RecordRow:
    index: int
    bidder: str
    uscc: str
    outcome: str
    cause: str
    sha256: str
    cells: dict[str, str]


@dataclass(frozen=True)
class RecordView:
    """The signed record, formatted: times in the center's zone, amounts with separators and
    大写. ``opening_at`` is the opening itself (the bid deadline); ``signed_at`` is when the
    platform signed the record after the last bid was decided."""

    lot: str
    opening_at: str
    started_at: str
    signed_at: str
    zone: str
    control_price: str
    control_price_capital: str
    columns: tuple[Column, ...]
    rows: tuple[RecordRow, ...]


def _amount(raw: object) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _cell(value: object) -> str:
    if value is None or value == "":
        return present.DASH
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def record_view(
    signed: dict[str, Any],
    *,
    zone: str,
    opening_at: datetime | None,
    started_at: datetime | None = None,
) -> RecordView:
    """What the record page and PDF print of a signed record {record, signature, key_id}."""
    tz = ZoneInfo(zone)
    record = signed["record"]
    forms = [row.get("price_form") or {} for row in record["rows"]]
    fixed = {c.key for c in PRICE_COLUMNS} | {"currency"}
    extras: list[str] = []
    for form in forms:
        extras += [key for key in form if key not in fixed and key not in extras]
    columns = list(PRICE_COLUMNS)
    # Every form says CNY today: the header's (元) says it; another currency gets its column.
    if any(form.get("currency", "CNY") != "CNY" for form in forms):
        columns.append(CURRENCY)
    columns += [Column(key, *EXTRA_LABELS.get(key, (key, key))) for key in extras]
    rows = []
    for index, (row, form) in enumerate(zip(record["rows"], forms, strict=True), start=1):
        price = _amount(row.get("price")) if row.get("price") is not None else None
        cells = {key: _cell(form.get(key)) for key in [c.key for c in columns]}
        cells["price"] = present.yuan(price)
        cells["price_capital"] = present.capital(price) if price is not None else present.DASH
        rows.append(
            RecordRow(
                index=index,
                bidder=row["bidder"],
                uscc=row["uscc"],
                outcome=row["outcome"],
                cause=row.get("cause") or "",
                sha256=row["sha256"],
                cells=cells,
            )
        )
    control = _amount(record.get("control_price")) if record.get("control_price") else None
    return RecordView(
        lot=record["lot"],
        opening_at=present.when(opening_at, tz, seconds=True),
        started_at=present.when(started_at, tz, seconds=True),
        signed_at=present.when(datetime.fromisoformat(record["opened_at"]), tz, seconds=True),
        zone=zone,
        control_price=present.yuan(control),
        control_price_capital=present.capital(control) if control is not None else present.DASH,
        columns=tuple(columns),
        rows=tuple(rows),
    )
