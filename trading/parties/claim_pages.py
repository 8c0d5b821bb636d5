"""The center's review of company claims (/center/claims): the center's staff approve or
reject, supervisors above read. The forms call the services of POST /api/v1/claims/{id}/...;
a refusal re-renders the page with the message by the claim and writes nothing."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import trading.auth.messages  # (registers the claim columns' strings)
import trading.parties.messages  # noqa: F401  (registers the review's strings)
from trading.centers.scope import CenterScope
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.errors import DomainError, NotFound
from trading.kernel.web import check_csrf, page, requires
from trading.parties import claims

DONE = {"approved", "rejected"}


async def _review_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    scope: CenterScope,
    *,
    error: str = "",
    error_claim: int | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Template:
    actor = request.user
    done = request.query_params.get("done")
    return page(
        request,
        "center/claims.html",
        status_code=status_code,
        rows=await claims.for_review(session, scope),
        may_decide=lambda row: actor.has(Role.STAFF) and row.claim.center_id == actor.center_id,
        error=error,
        error_claim=error_claim,
        reason=reason,
        done=done if done in DONE else "",
    )


@get("/center/claims", name="center_claims", guards=[requires(Role.STAFF, Role.SUPERVISOR)])
async def review(
    request: Request[Actor, Any, Any], db_session: AsyncSession, center_scope: CenterScope
) -> Template:
    return await _review_page(request, db_session, center_scope)


@post(
    "/center/claims/{claim_id:int}/{decision:str}",
    guards=[requires(Role.STAFF)],
    status_code=200,
)
async def decide(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center_scope: CenterScope,
    claim_id: int,
    decision: str,
    clock: Clock,
) -> Template | Redirect:
    """approve | reject (with a reason): the same services as the API."""
    form = await request.form()
    check_csrf(request, form)
    reason = str(form.get("reason", ""))
    try:
        if decision == "approve":
            await claims.approve(db_session, request.user, claim_id, now=clock.now())
            done = "approved"
        elif decision == "reject":
            await claims.reject(db_session, request.user, claim_id, reason, now=clock.now())
            done = "rejected"
        else:
            raise NotFound("未知操作 / unknown decision")
    except DomainError as exc:
        return await _review_page(
            request,
            db_session,
            center_scope,
            error=exc.message,
            error_claim=claim_id,
            reason=reason,
            status_code=exc.status,
        )
    return Redirect(f"/center/claims?done={done}", status_code=303)


ROUTES: list[Any] = [review, decide]
