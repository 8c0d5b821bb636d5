"""The keys page (/keys) for every party that holds keys (bidders, custodians, experts), and its
revoke form: the same `revoke_key` the JSON API calls. The card itself (templates/
bidder_keys.html, static/js/keys-ui.js) is also included in the bidder and custodian pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import trading.parties.key_messages  # noqa: F401  (registers the keys strings)
from crypto.encoding import b64u_encode
from crypto.keys import Identity
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.errors import DomainError
from trading.kernel.i18n import MESSAGES, pick_lang, translator
from trading.kernel.web import check_csrf, page, requires
from trading.parties import service as parties
from trading.parties.models import PartyKey

KEY_HOLDERS = (Role.BIDDER, Role.CUSTODIAN, Role.EVALUATOR)


def js_text(request: Request[Actor, Any, Any], *prefixes: str) -> dict[str, str]:
    """The UI strings a page's scripts show, in the page language (the key card's among them)."""
    t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
    wanted = ("bidder.js.", *prefixes)
    return {key: t(key) for key in MESSAGES if key.startswith(wanted)}


def key_card(
    request: Request[Actor, Any, Any], clock: Clock, platform: Identity, *prefixes: str
) -> dict[str, Any]:
    """What templates/bidder_common.html and bidder_keys.html need on any page."""
    return {
        "server_now": clock.now().isoformat(),
        "platform_pub": b64u_encode(platform.sign_pub),
        "js_text": js_text(request, *prefixes),
        "key_owner": f"user:{request.user.user_id}",
    }


async def current_key(session: AsyncSession, user_id: int | None) -> PartyKey | None:
    return await session.scalar(
        select(PartyKey)
        .where(PartyKey.user_id == user_id, PartyKey.revoked_at.is_(None))
        .order_by(PartyKey.id.desc())
    )


async def _keys_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    clock: Clock,
    platform: Identity,
    *,
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> Template:
    key = await current_key(session, request.user.user_id)
    return page(
        request,
        "keys.html",
        status_code=status_code,
        key=key,
        message=message,
        error=error,
        **key_card(request, clock, platform),
    )


@get("/keys", name="my_keys", guards=[requires(*KEY_HOLDERS)])
async def keys_page(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock, platform: Identity
) -> Template:
    done = request.query_params.get("done") == "revoked"
    t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
    return await _keys_page(
        request, db_session, clock, platform, message=t("keys.revoked") if done else ""
    )


@post("/keys/revoke", guards=[requires(*KEY_HOLDERS)], status_code=200)
async def revoke_form(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    clock: Clock,
    platform: Identity,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    """The "lost key" form: revokes the caller's registered key (twin of
    POST /api/v1/me/keys/{key_id}/revoke); nothing changes without the confirmation tick."""
    check_csrf(request, data)
    t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
    key = await current_key(db_session, request.user.user_id)
    if data.get("confirm") != "yes":
        return await _keys_page(
            request, db_session, clock, platform, error=t("keys.confirm_needed"), status_code=422
        )
    if key is None:
        return await _keys_page(
            request, db_session, clock, platform, error=t("keys.none_to_revoke"), status_code=409
        )
    try:
        await parties.revoke_key(db_session, request.user, key.id, now=clock.now())
    except DomainError as exc:  # a racing revocation got there first
        return await _keys_page(
            request, db_session, clock, platform, error=exc.message, status_code=exc.status
        )
    return Redirect("/keys?done=revoked", status_code=303)


ROUTES: list[Any] = [keys_page, revoke_form]
