"""The sign-up page and the account page (claim status, a new claim). Both call the same
services as the JSON API (POST /api/v1/auth/signup, POST /api/v1/me/claims); a refusal
re-renders the form with the message by its field and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import trading.auth.messages  # noqa: F401  (registers the pages' strings)
from trading.auth import service as auth
from trading.auth import signup
from trading.auth.models import User
from trading.centers.models import Center
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore, StagedBlob
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError, ValidationFailed
from trading.kernel.i18n import pick_lang, translator
from trading.kernel.web import SESSION_COOKIE, check_csrf, client_ip, page
from trading.parties import claims, company
from trading.parties.claims import ClaimDraft
from trading.parties.models import ClaimState, Organization

PERSON_FIELDS = ("username", "display_name", "password", "password2", "phone", "email")
CLAIM_FIELDS = ("uscc", "org_name", "center", "licence", "claim")
FIELDS = (*PERSON_FIELDS, *CLAIM_FIELDS, "invitation")
TEXT_FIELDS = ("username", "display_name", "phone", "email", "uscc", "org_name", "center")
MAX_BODY = claims.LICENCE_MAX_BYTES + (64 << 10)


def field_errors(message: str) -> dict[str, str]:
    """A service message "field: text" goes next to that field, anything else on top."""
    name, sep, rest = message.partition(": ")
    return {name: rest} if sep and name in FIELDS else {"form": message}


async def _centers(session: AsyncSession) -> list[Center]:
    return list(await session.scalars(select(Center).order_by(Center.code)))


def _upload(form: FormMultiDict, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


async def _stage_licence(form: FormMultiDict, blobs: LocalBlobStore) -> tuple[StagedBlob, str]:
    upload = _upload(form, "licence")
    if upload is None:
        raise ValidationFailed("licence: 请上传营业执照 / upload the business licence")
    staged = await blobs.stage(_chunks(upload), max_size=claims.LICENCE_MAX_BYTES)
    return staged, upload.filename


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 20):
        yield chunk


def _draft(form: FormMultiDict, licence_name: str) -> ClaimDraft:
    return ClaimDraft(
        uscc=str(form.get("uscc", "")),
        org_name=str(form.get("org_name", "")),
        center_code=str(form.get("center", "")),
        licence_name=licence_name,
        sme=form.get("sme") == "on",
    )


async def _signup_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    clock: Clock,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    invite = str(values.get("invitation", ""))
    invited: Organization | None = None
    if invite:
        invited = await company.invitation_company(session, invite, now=clock.now())
    return page(
        request,
        "account/signup.html",
        status_code=status_code,
        values=values,
        errors=errors or {},
        centers=await _centers(session),
        invite=invite,
        invited=invited,
    )


@get("/signup", name="signup")
async def signup_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock
) -> Template | Redirect:
    if request.user.user_id is not None:
        return Redirect("/account", status_code=303)
    invite = (request.query_params.get("invite") or "")[:64]
    return await _signup_page(
        request, db_session, clock, values={"invitation": invite, "mode": "claim"}
    )


@post("/signup", status_code=200, request_max_body_size=MAX_BODY)
async def signup_submit(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    blobs: LocalBlobStore,
    clock: Clock,
    settings: Settings,
) -> Template | Redirect:
    """The sign-up form (multipart); on success the new account is signed in."""
    if request.user.user_id is not None:
        return Redirect("/account", status_code=303)
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in TEXT_FIELDS}
    values["invitation"] = str(form.get("invitation", ""))[:64]
    values["mode"] = "none" if form.get("mode") == "none" else "claim"
    values["sme"] = form.get("sme") == "on"
    invite = values["invitation"]
    try:
        password = str(form.get("password", ""))
        if password != str(form.get("password2", "")):
            lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
            raise ValidationFailed("password2: " + translator(lang)("signup.password_mismatch"))
        person = signup.SignUp(
            values["username"], password, values["display_name"], values["phone"], values["email"]
        )
        draft, staged = None, None
        if not invite and values["mode"] == "claim":
            signup.check_person(person)  # the person's mistakes first, before an upload is kept
            staged, licence_name = await _stage_licence(form, blobs)
            draft = _draft(form, licence_name)
        user, _ = await signup.sign_up(
            db_session,
            person,
            ip=client_ip(request),
            now=clock.now(),
            invitation=invite,
            claim=draft,
            licence=staged,
            blobs=blobs,
        )
    except DomainError as exc:
        return await _signup_page(
            request,
            db_session,
            clock,
            values=values,
            errors=field_errors(exc.message),
            status_code=exc.status,
        )
    token, _csrf = await auth.open_web_session(db_session, user, now=clock.now(), settings=settings)
    response = Redirect(
        "/bidder" if user.org_id is not None else "/account?done=signed_up", status_code=303
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=settings.session_days * 86400,
    )
    return response


# ---- the account page ------------------------------------------------------------------------

DONE = {"signed_up", "claimed"}


async def _account_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    actor = request.user
    if actor.user_id is None:
        raise NotAuthorizedException("请先登录 / sign in first")
    user = await session.get(User, actor.user_id)
    assert user is not None  # the session's own user
    org = await session.get(Organization, user.org_id) if user.org_id is not None else None
    mine = await claims.of_user(session, user.id)
    pending = any(r.claim.state == ClaimState.PENDING for r in mine)
    done = request.query_params.get("done")
    return page(
        request,
        "account/account.html",
        status_code=status_code,
        user=user,
        org=org,
        claims=mine,
        can_claim=org is None and not pending and not set(user.roles) - {"bidder"},
        centers=await _centers(session),
        values=values or {},
        errors=errors or {},
        done=done if done in DONE else "",
    )


@get("/account", name="account")
async def account(request: Request[Actor, Any, Any], db_session: AsyncSession) -> Template:
    return await _account_page(request, db_session)


@post("/account/claims", status_code=200, request_max_body_size=MAX_BODY)
async def account_claim(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    blobs: LocalBlobStore,
    clock: Clock,
) -> Template | Redirect:
    """A signed-in person without a company claims one: the same `file_claim` as the API."""
    if request.user.user_id is None:
        raise NotAuthorizedException("请先登录 / sign in first")
    form = await request.form()
    check_csrf(request, form)
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in TEXT_FIELDS}
    values["sme"] = form.get("sme") == "on"
    try:
        staged, licence_name = await _stage_licence(form, blobs)
        await claims.file_claim(
            db_session, request.user, _draft(form, licence_name), staged, blobs, now=clock.now()
        )
    except DomainError as exc:
        return await _account_page(
            request,
            db_session,
            values=values,
            errors=field_errors(exc.message),
            status_code=exc.status,
        )
    return Redirect("/account?done=claimed", status_code=303)


ROUTES: list[Any] = [signup_form, signup_submit, account, account_claim]
