"""The bidder lot page's plain forms — register (报名), lodge bid security, ask a question —
and its receipt downloads (PDF, signed JSON).

Each form posts here with the session's CSRF token and calls the same service function as the
JSON API (bidding/participation/api.py); a refusal re-renders the lot page with the message
next to its field and the status of the refusal, nothing written. No JavaScript needed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation import service as participation
from bidding.submission.pages import lot_page
from bidding.submission.receipt_pdf import ReceiptFacts, render_receipt_pdf
from bidding.submission.service import bidder_org, my_bid
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.errors import DomainError, ValidationFailed
from trading.kernel.money import InputError, amount
from trading.kernel.runtime import Runtime
from trading.kernel.web import check_csrf, requires
from trading.projects.service import get_lot

SECURITY_FIELDS = ("amount", "form", "reference")


def _done(lot_id: int, what: str, anchor: str) -> Redirect:
    return Redirect(f"/bidder/lots/{lot_id}?done={what}#{anchor}", status_code=303)


def _field(message: str, fields: tuple[str, ...], default: str) -> dict[str, str]:
    """A service message "field: text" goes next to that field, anything else to `default`."""
    name, sep, rest = message.partition(": ")
    if sep and name in fields:
        return {name: rest}
    return {default: message}


@post("/bidder/lots/{lot_id:int}/registration", guards=[requires(Role.BIDDER)], status_code=200)
async def register_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
) -> Template | Redirect:
    """报名: the same `register` as POST /api/v1/lots/{id}/registration."""
    form = await request.form()
    check_csrf(request, form)
    try:
        await participation.register(
            db_session, lot_id, request.user, now=rt.clock.now(), clock=rt.clock
        )
    except DomainError as exc:
        await db_session.rollback()
        return await lot_page(
            request,
            db_session,
            lot_id,
            rt,
            errors={"registration": exc.message},
            status_code=exc.status,
        )
    return _done(lot_id, "registered", "participation")


@post("/bidder/lots/{lot_id:int}/security", guards=[requires(Role.BIDDER)], status_code=200)
async def security_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
) -> Template | Redirect:
    """Bid security lodged: the same `record_security` as PUT /api/v1/lots/{id}/security."""
    form = await request.form()
    check_csrf(request, form)
    values = {name: str(form.get(name) or "").strip() for name in SECURITY_FIELDS}
    try:
        try:
            value = amount(values["amount"], "amount")
        except InputError as exc:
            raise ValidationFailed(f"amount: {exc.reason}") from exc
        await participation.record_security(
            db_session,
            lot_id,
            request.user,
            amount=value,
            form=values["form"],
            reference=values["reference"],
            now=rt.clock.now(),
            settings=rt.settings,
        )
    except DomainError as exc:
        await db_session.rollback()
        return await lot_page(
            request,
            db_session,
            lot_id,
            rt,
            errors=_field(exc.message, SECURITY_FIELDS, "security"),
            values=values,
            status_code=exc.status,
        )
    return _done(lot_id, "security", "participation")


@post("/bidder/lots/{lot_id:int}/questions", guards=[requires(Role.BIDDER)], status_code=200)
async def ask_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
) -> Template | Redirect:
    """A question: the same `ask` as POST /api/v1/lots/{id}/questions."""
    form = await request.form()
    check_csrf(request, form)
    text = str(form.get("text") or "")
    try:
        await participation.ask(db_session, lot_id, request.user, text, now=rt.clock.now())
    except DomainError as exc:
        await db_session.rollback()
        return await lot_page(
            request,
            db_session,
            lot_id,
            rt,
            errors={"question": exc.message.removeprefix("text: ")},
            values={"question": text},
            status_code=exc.status,
        )
    return _done(lot_id, "asked", "questions")


@get(
    "/bidder/lots/{lot_id:int}/bids/{bid_id:int}/receipt.json",
    guards=[requires(Role.BIDDER)],
    media_type="application/json",
)
async def receipt_json(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, bid_id: int
) -> Response[bytes]:
    """The platform-signed receipt as a file (`bidhall receipt verify` reads it)."""
    bid = await my_bid(db_session, lot_id, bid_id, request.user)
    body = json.dumps(bid.receipt, ensure_ascii=False, indent=2, sort_keys=True).encode()
    name = f"receipt-lot-{lot_id}-v{bid.version}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/bidder/lots/{lot_id:int}/bids/{bid_id:int}/receipt.pdf", guards=[requires(Role.BIDDER)])
async def receipt_pdf(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, bid_id: int
) -> Response[bytes]:
    """The receipt as a PDF with its Chinese text; the same bytes on every download."""
    bid = await my_bid(db_session, lot_id, bid_id, request.user)
    lot = await get_lot(db_session, lot_id, request.user)
    org = await bidder_org(db_session, request.user)
    facts = ReceiptFacts(
        project_code=lot.project.code,
        project_title=lot.project.title,
        lot_number=str(lot.number),
        lot_title=lot.title,
        center_name=lot.project.center.name,
        timezone=lot.project.center.timezone,
        bidder_name=org.name,
        bid_id=bid.id,
        status=bid.status,
    )
    # reportlab is CPU-bound: keep the event loop free.
    pdf = await asyncio.to_thread(render_receipt_pdf, bid.receipt, facts)
    name = f"receipt-lot-{lot_id}-v{bid.version}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [register_form, security_form, ask_form, receipt_json, receipt_pdf]
