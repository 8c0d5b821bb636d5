"""The company page (/bidder/company): its users, and for its administrator the invitations and
the removal of users. The forms call the services of /api/v1/me/company."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import trading.parties.messages  # noqa: F401  (registers the page's strings)
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.errors import DomainError
from trading.kernel.web import check_csrf, page, requires
from trading.parties import company

DONE = {"removed", "revoked"}


async def _company_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    clock: Clock,
    *,
    link: str = "",
    error: str = "",
    status_code: int = 200,
) -> Template:
    done = request.query_params.get("done")
    return page(
        request,
        "bidder/company.html",
        status_code=status_code,
        view=await company.view(session, request.user),
        now=clock.now(),
        link=link,
        error=error,
        done=done if done in DONE else "",
    )


@get("/bidder/company", name="bidder_company", guards=[requires(Role.BIDDER)])
async def company_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock
) -> Template:
    return await _company_page(request, db_session, clock)


@post("/bidder/company/invitations", guards=[requires(Role.BIDDER)], status_code=200)
async def invite(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock
) -> Template:
    """The new link is shown on the answer itself: only its hash is kept."""
    form = await request.form()
    check_csrf(request, form)
    try:
        _, code = await company.invite(
            db_session, request.user, note=str(form.get("note", "")), now=clock.now()
        )
    except DomainError as exc:
        return await _company_page(
            request, db_session, clock, error=exc.message, status_code=exc.status
        )
    base = str(request.base_url).rstrip("/")
    return await _company_page(request, db_session, clock, link=f"{base}/signup?invite={code}")


@post(
    "/bidder/company/invitations/{invitation_id:int}/revoke",
    guards=[requires(Role.BIDDER)],
    status_code=200,
)
async def revoke(
    request: Request[Actor, Any, Any], db_session: AsyncSession, invitation_id: int, clock: Clock
) -> Template | Redirect:
    form = await request.form()
    check_csrf(request, form)
    try:
        await company.revoke_invitation(db_session, request.user, invitation_id, now=clock.now())
    except DomainError as exc:
        return await _company_page(
            request, db_session, clock, error=exc.message, status_code=exc.status
        )
    return Redirect("/bidder/company?done=revoked", status_code=303)


@post(
    "/bidder/company/members/{user_id:int}/remove",
    guards=[requires(Role.BIDDER)],
    status_code=200,
)
async def remove(
    request: Request[Actor, Any, Any], db_session: AsyncSession, user_id: int, clock: Clock
) -> Template | Redirect:
    form = await request.form()
    check_csrf(request, form)
    try:
        await company.remove_member(db_session, request.user, user_id, now=clock.now())
    except DomainError as exc:
        return await _company_page(
            request, db_session, clock, error=exc.message, status_code=exc.status
        )
    return Redirect("/bidder/company?done=removed", status_code=303)


ROUTES: list[Any] = [company_page, invite, revoke, remove]
