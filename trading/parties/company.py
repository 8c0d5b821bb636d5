"""Several users per company: the administrator (the approved claimant) invites users with a
single-use, expiring code and removes them. A removed user loses the company's rights at once:
the account keeps no bidder role, and its web sessions and API tokens are ended."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.auth.models import ApiToken, User, WebSession
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from trading.parties.models import Organization, OrgInvitation

INVITATION_DAYS = 7
NOTE_MAX = 200
INVALID_INVITATION = "invitation: 邀请码无效、已使用或已过期 / invitation invalid, used or expired"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _who(user: User, org: Organization, ip: str) -> tuple[Actor, dict[str, object]]:
    """The audit actor and the company every company action names."""
    actor = Actor(user.id, user.username, frozenset(user.roles), ip=ip, org_id=user.org_id)
    return actor, {"org_id": org.id, "uscc": org.uscc}


async def _admin(session: AsyncSession, actor: Actor) -> tuple[User, Organization]:
    """The acting administrator and its company, read inside the caller's transaction (a
    request's actor may be a moment old)."""
    if actor.user_id is None:
        raise Unauthorized("请先登录 / sign in first")
    user = await session.get(User, actor.user_id, populate_existing=True)
    if user is None or not user.active or user.org_id is None:
        raise Forbidden("您不属于任何单位 / you act for no company")
    if not user.org_admin:
        raise Forbidden("仅单位管理员可管理用户 / only the company's administrator manages users")
    org = await session.get(Organization, user.org_id)
    assert org is not None  # a foreign key
    return user, org


async def invite(
    session: AsyncSession, actor: Actor, *, note: str = "", now: datetime
) -> tuple[OrgInvitation, str]:
    """A new invitation and its code (shown once; only its SHA-256 is kept)."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"note: 备注最多{NOTE_MAX}字 / at most {NOTE_MAX} characters")
    code = secrets.token_urlsafe(18)
    async with writing(session):
        admin, org = await _admin(session, actor)
        invitation = OrgInvitation(
            org_id=org.id,
            code_hash=code_hash(code),
            note=note,
            created_by_id=admin.id,
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        session.add(invitation)
        await session.flush()
        who, company = _who(admin, org, actor.ip)
        await audit.append(
            session,
            who,
            "party.invite",
            "organization",
            org.id,
            at=now,
            detail={
                **company,
                "invitation_id": invitation.id,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
    return invitation, code


async def revoke_invitation(
    session: AsyncSession, actor: Actor, invitation_id: int, *, now: datetime
) -> None:
    async with writing(session):
        admin, org = await _admin(session, actor)
        done = await session.execute(
            update(OrgInvitation)
            .where(
                OrgInvitation.id == invitation_id,
                OrgInvitation.org_id == org.id,
                OrgInvitation.used_at.is_(None),
                OrgInvitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound("邀请不存在或已使用 / no such open invitation")
        who, company = _who(admin, org, actor.ip)
        await audit.append(
            session,
            who,
            "party.invitation_revoke",
            "organization",
            org.id,
            at=now,
            detail={**company, "invitation_id": invitation_id},
        )


async def invitation_company(
    session: AsyncSession, code: str, *, now: datetime
) -> Organization | None:
    """The company an open invitation is for (the sign-up page names it), else None."""
    return await session.scalar(
        select(Organization)
        .join(OrgInvitation, OrgInvitation.org_id == Organization.id)
        .where(
            OrgInvitation.code_hash == code_hash(code),
            OrgInvitation.used_at.is_(None),
            OrgInvitation.revoked_at.is_(None),
            OrgInvitation.expires_at > now,
        )
    )


async def join_in_tx(
    session: AsyncSession, user: User, code: str, *, now: datetime, ip: str
) -> Organization:
    """Use an invitation for `user`, inside the caller's write transaction. Compare-and-set:
    of two people racing with one code, one joins and the other is refused."""
    if user.org_id is not None:
        raise Conflict("invitation: 您已属于一个单位 / you already act for a company")
    found = await session.scalar(
        select(OrgInvitation).where(OrgInvitation.code_hash == code_hash(code))
    )
    if found is None:
        raise ValidationFailed(INVALID_INVITATION)
    done = await session.execute(
        update(OrgInvitation)
        .where(
            OrgInvitation.id == found.id,
            OrgInvitation.used_at.is_(None),
            OrgInvitation.revoked_at.is_(None),
            OrgInvitation.expires_at > now,
        )
        .values(used_at=now, used_by_id=user.id)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationFailed(INVALID_INVITATION)
    org = await session.get(Organization, found.org_id)
    assert org is not None  # a foreign key
    user.org_id, user.org_admin = org.id, False
    user.roles = sorted({*user.roles, Role.BIDDER})
    await session.flush()
    who, company = _who(user, org, ip)
    await audit.append(
        session,
        who,
        "party.member_join",
        "organization",
        org.id,
        at=now,
        detail={**company, "invitation_id": found.id, "invited_by": found.created_by_id},
    )
    return org


async def remove_member(
    session: AsyncSession, actor: Actor, user_id: int, *, now: datetime
) -> None:
    """The administrator removes a user of the company: no company, no bidder role, no
    sessions or tokens left (signing in again gives a person without a company)."""
    async with writing(session):
        admin, org = await _admin(session, actor)
        member = await session.get(User, user_id, with_for_update=True, populate_existing=True)
        if member is None or member.org_id != org.id:
            raise NotFound("该用户不属于本单位 / no such user in your company")
        if member.id == admin.id:
            raise Conflict("管理员不能移除自己 / the administrator cannot remove themself")
        member.org_id, member.org_admin = None, False
        member.roles = sorted(set(member.roles) - {Role.BIDDER})
        await session.execute(delete(WebSession).where(WebSession.user_id == member.id))
        await session.execute(delete(ApiToken).where(ApiToken.user_id == member.id))
        await session.flush()
        who, company = _who(admin, org, actor.ip)
        await audit.append(
            session,
            who,
            "party.member_remove",
            "organization",
            org.id,
            at=now,
            detail={**company, "user_id": member.id, "username": member.username},
        )


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyView:
    org: Organization
    members: list[User]
    invitations: list[OrgInvitation]
    is_admin: bool


async def view(session: AsyncSession, actor: Actor) -> CompanyView:
    """The caller's company: its users, and its invitations for the administrator."""
    if actor.user_id is None:
        raise Unauthorized("请先登录 / sign in first")
    user = await session.get(User, actor.user_id)
    if user is None or user.org_id is None:
        raise Forbidden("您不属于任何单位 / you act for no company")
    org = await session.get(Organization, user.org_id)
    assert org is not None
    members = list(
        await session.scalars(select(User).where(User.org_id == org.id).order_by(User.id))
    )
    invitations: list[OrgInvitation] = []
    if user.org_admin:
        invitations = list(
            await session.scalars(
                select(OrgInvitation)
                .where(OrgInvitation.org_id == org.id)
                .order_by(OrgInvitation.id.desc())
                .limit(50)
            )
        )
    return CompanyView(org, members, invitations, user.org_admin)
