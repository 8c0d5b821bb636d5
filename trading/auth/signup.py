"""Sign-up: a person creates an account, alone, through a company's invitation, or with a
claim to act for a company that a center reviews (trading/parties/claims.py). Only an approved
claim or an accepted invitation gives bidder rights."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.auth.models import User
from trading.auth.passwords import hash_password, off_loop
from trading.auth.service import check_password, check_username, create_user
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore, StagedBlob
from trading.kernel.db import writing
from trading.kernel.errors import ValidationFailed
from trading.parties import claims, company
from trading.parties.claims import ClaimDraft
from trading.parties.models import OrgClaim

PHONE = re.compile(r"\+?[0-9][0-9 -]{5,30}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class SignUp:
    username: str
    password: str
    display_name: str = ""
    phone: str = ""
    email: str = ""


def check_person(form: SignUp) -> SignUp:
    """The person's fields, normalised, or ValidationFailed naming the field."""
    username = check_username(form.username.strip())
    check_password(form.password)
    if len(form.password) > 256:
        raise ValidationFailed("password: 密码最多256位 / at most 256 characters")
    display = " ".join(form.display_name.split()) or username
    if len(display) > 200:
        raise ValidationFailed("display_name: 最多200字 / at most 200 characters")
    phone, email = form.phone.strip(), form.email.strip()
    if phone and not PHONE.fullmatch(phone):
        raise ValidationFailed("phone: 电话号码无效 / invalid phone number")
    if email and not EMAIL.fullmatch(email):
        raise ValidationFailed("email: 电子邮箱无效 / invalid e-mail address")
    return SignUp(username, form.password, display, phone, email)


async def sign_up(
    session: AsyncSession,
    form: SignUp,
    *,
    ip: str,
    now: datetime,
    invitation: str = "",
    claim: ClaimDraft | None = None,
    licence: StagedBlob | None = None,
    blobs: LocalBlobStore | None = None,
) -> tuple[User, OrgClaim | None]:
    """Create the account (and its claim, or its company membership) in one transaction."""
    try:
        person = check_person(form)
        if invitation and claim is not None:
            raise ValidationFailed(
                "invitation: 受邀加入时不能同时申请单位 / join or claim, not both"
            )
        media = ""
        if claim is not None:
            if licence is None or blobs is None:
                raise ValidationFailed("licence: 请上传营业执照 / upload the business licence")
            await claims.check_draft(session, claim)
            media = claims.licence_type(licence)
        password_hash = await off_loop(hash_password, person.password)  # before the write lock
        async with writing(session):
            user = await create_user(
                session,
                username=person.username,
                password=person.password,
                display_name=person.display_name,
                roles=[],
                now=now,
                password_hash=password_hash,
                org_admin=False,
                phone=person.phone,
                email=person.email,
            )
            await audit.append(
                session,
                Actor(user.id, user.username, ip=ip),
                "auth.sign_up",
                "user",
                user.id,
                at=now,
                detail={"username": user.username, "invited": bool(invitation)},
            )
            filed = None
            if invitation:
                await company.join_in_tx(session, user, invitation, now=now, ip=ip)
            elif claim is not None:
                assert licence is not None and blobs is not None
                filed = await claims.claim_in_tx(
                    session, user, claim, licence, media, blobs, now=now, ip=ip
                )
        return user, filed
    finally:
        if licence is not None and blobs is not None:
            blobs.discard(licence)
