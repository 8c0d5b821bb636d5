"""The bidder workspace: my lots, countdowns, sealing and submitting in the browser."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bidding.participation import inbox
from bidding.participation import service as participation
from bidding.participation.models import Registration
from bidding.participation.standing import standing
from bidding.submission import messages as _messages  # noqa: F401  (registers the strings)
from bidding.submission.models import Bid
from bidding.submission.service import MAX_BID_BYTES
from crypto.encoding import b64u_encode
from crypto.keys import Identity
from crypto.labels import envelope_lot_id
from trading.enums import Category, LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import Forbidden
from trading.kernel.i18n import MESSAGES, pick_lang, translator
from trading.kernel.money import MAX_AMOUNT
from trading.kernel.runtime import Runtime
from trading.kernel.web import page, requires
from trading.parties.models import Organization
from trading.projects.models import Lot, Project
from trading.projects.publishing import effective_ruleset
from trading.projects.service import get_lot, list_lots


def _js_text(request: Request[Actor, Any, Any]) -> dict[str, str]:
    """The UI strings the workspace scripts show (progress, errors), in the page language."""
    t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
    return {key: t(key) for key in MESSAGES if key.startswith("bidder.js.")}


def _in_zone(value: datetime, zone: str) -> str:
    """A deadline as the lot's center reads it (its own zone), with the zone named."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


async def _my_org(session: AsyncSession, actor: Actor) -> Organization:
    org = None if actor.org_id is None else await session.get(Organization, actor.org_id)
    if org is None:
        raise Forbidden("投标人单位不存在 / your account belongs to no bidder organization")
    return org


def _bid_row(bid: Bid, zone: str) -> dict[str, Any]:
    return {
        "bid_id": bid.id,
        "lot_id": bid.lot_id,
        "version": bid.version,
        "status": bid.status,
        "sha256": bid.ciphertext_sha256,
        "size": bid.size,
        "received_at": _in_zone(bid.received_at, zone),
        "receipt": bid.receipt,
    }


def _common(request: Request[Actor, Any, Any], clock: Clock, platform: Identity) -> dict[str, Any]:
    return {
        "server_now": clock.now().isoformat(),
        "platform_pub": b64u_encode(platform.sign_pub),
        "js_text": _js_text(request),
        "key_owner": f"user:{request.user.user_id}",
    }


@get("/bidder", name="bidder_home", guards=[requires(Role.BIDDER)])
async def bidder_home(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    clock: Clock,
    platform: Identity,
    settings: Settings,
) -> Template:
    """My lots (bid on, registered for, or open for bids), deadlines, my receipts."""
    org = await _my_org(db_session, request.user)
    bids = list(
        await db_session.scalars(
            select(Bid).where(Bid.bidder_org_id == org.id).order_by(Bid.lot_id, Bid.version)
        )
    )
    registered = set(
        await db_session.scalars(
            select(Registration.lot_id).where(Registration.bidder_org_id == org.id)
        )
    )
    mine = {b.lot_id for b in bids} | registered
    lots: dict[int, Lot] = {
        lot.id: lot for lot in await list_lots(db_session, state=LotState.ANNOUNCED, limit=500)
    }
    missing = mine - set(lots)
    if missing:
        for lot in await db_session.scalars(
            select(Lot)
            .where(Lot.id.in_(missing), Lot.state != LotState.DRAFT)
            .options(selectinload(Lot.project).selectinload(Project.center))
        ):
            lots[lot.id] = lot
    latest: dict[int, Bid] = {}
    for b in bids:
        latest[b.lot_id] = b  # ordered by version: the last one counts
    rows = [
        {
            "lot": lot,
            "deadline": _in_zone(lot.bid_deadline, lot.project.center.timezone),
            "zone": lot.project.center.timezone,
            "open": lot.state == LotState.ANNOUNCED,
            "registered": lot.id in registered,
            "latest": _bid_row(latest[lot.id], lot.project.center.timezone)
            if lot.id in latest
            else None,
        }
        for lot in sorted(
            lots.values(), key=lambda x: (x.id not in mine, x.bid_deadline, x.id), reverse=False
        )
    ]
    tz = settings.timezone
    return page(
        request,
        "bidder_home.html",
        org=org,
        rows=rows,
        bids=[
            _bid_row(b, lots[b.lot_id].project.center.timezone if b.lot_id in lots else tz)
            for b in reversed(bids)
        ],
        receipts={str(b.id): b.receipt for b in bids},
        lots=lots,
        notices=await inbox.notices(db_session, request.user),
        **_common(request, clock, platform),
    )


async def lot_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    rt: Runtime,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The bidder's lot page; the participation forms re-render it with their errors."""
    org = await _my_org(session, request.user)
    lot = await get_lot(session, lot_id, request.user)
    bids = list(
        await session.scalars(
            select(Bid)
            .where(Bid.lot_id == lot.id, Bid.bidder_org_id == org.id)
            .order_by(Bid.version.desc())
        )
    )
    now = rt.clock.now()
    zone = lot.project.center.timezone
    mine = await standing(session, lot, request.user, rt.settings, now)
    done = request.query_params.get("done")
    return page(
        request,
        "bidder_lot.html",
        status_code=status_code,
        org=org,
        lot=lot,
        project=lot.project,
        envelope_lot=envelope_lot_id(lot.id),
        next_version=(bids[0].version + 1) if bids else 1,
        bids=[_bid_row(b, zone) for b in bids],
        receipts={str(b.id): b.receipt for b in bids},
        accepting=lot.state == LotState.ANNOUNCED and now < lot.bid_deadline,
        deadline=_in_zone(lot.bid_deadline, zone),
        zone=zone,
        standing=mine,
        registration=mine.registration,
        documents=await participation.documents(session, lot.id, request.user),
        answered=await participation.public_questions(session, lot.id, request.user),
        security_forms=participation.SECURITY_FORMS,
        max_bytes=MAX_BID_BYTES,
        # The amount rule the server reads a sealed price with (trading.kernel.money.amount),
        # so the page checks before sealing with the same limit.
        max_amount=MAX_AMOUNT,
        ceiling=_ceiling(lot, rt.settings),
        errors=errors or {},
        values=values or {},
        done=done if done in DONE else None,
        **_common(request, rt.clock, rt.platform),
    )


def _ceiling(lot: Lot, settings: Settings) -> dict[str, Any]:
    """The price a bid should not exceed: the control price (最高投标限价) when set, else the
    budget. Where the ruleset's `price_ceiling` rule rejects a bid above it (条例 51 for the
    control price; 87号令 63 for a procurement budget too) the page refuses to seal one, else
    it warns. The platform itself cannot check: the price stays sealed until the opening."""
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    rule = ruleset.get("price_ceiling")
    rejects = rule is not None and rule.value >= 1
    if lot.control_price is not None:
        amount, kind = lot.control_price, "control_price"
    else:
        amount, kind = lot.budget, "budget"
        rejects = rejects and ruleset.category == Category.PROCUREMENT
    return {
        "amount": str(amount),
        "kind": kind,
        "rejects": rejects,
        "citation": rule.citation if rule is not None and rejects else "",
    }


DONE = {"registered", "security", "asked"}


@get("/bidder/lots/{lot_id:int}", name="bidder_lot", guards=[requires(Role.BIDDER)])
async def bidder_lot(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
) -> Template:
    """Register, download the documents, ask, lodge security; seal and submit a bid in the
    browser (or upload one sealed with the CLI)."""
    return await lot_page(request, db_session, lot_id, rt)


ROUTES = [bidder_home, bidder_lot]
