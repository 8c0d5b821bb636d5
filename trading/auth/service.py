"""Accounts, login with throttling, server-side web sessions and API bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.auth.models import ApiToken, LoginAttempt, User, WebSession
from trading.auth.passwords import DUMMY_HASH, hash_password, verify_password
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.codes import CodeError, validate_uscc
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import TooManyRequests, Unauthorized, ValidationFailed
from trading.parties.models import Organization

TOKEN_PREFIX = "bh_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User, ip: str = "") -> Actor:
    return Actor(
        user_id=user.id,
        name=user.username,
        roles=frozenset(user.roles),
        ip=ip,
        center_id=user.center_id,
        org_id=user.org_id,
    )


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Iterable[str],
    now: datetime,
    org_id: int | None = None,
    center_id: int | None = None,
) -> User:
    """Create an account inside the caller's write transaction."""
    role_list = sorted(set(roles))
    unknown = [r for r in role_list if r not in Role.__members__.values()]
    if unknown:
        raise ValidationFailed(f"roles: 未知角色 {unknown} / unknown roles")
    if len(password) < 10:
        raise ValidationFailed("password: 密码至少10位 / at least 10 characters")
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(f"username: {username} 已存在 / already taken")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=role_list,
        org_id=org_id,
        center_id=center_id,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def _recent_failures(session: AsyncSession, username: str, since: datetime) -> int:
    count = await session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.username == username, LoginAttempt.at >= since, LoginAttempt.ok.is_(False)
        )
    )
    return count or 0


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    settings: Settings,
) -> User:
    """Check a password; too many recent failures lock the account name for a window."""
    since = now - timedelta(seconds=settings.login_window_seconds)
    if await _recent_failures(session, username, since) >= settings.login_max_failures:
        async with writing(session):
            await audit.append(
                session,
                Actor(None, username, ip=ip),
                "auth.login_throttled",
                "user",
                username,
                at=now,
            )
        raise TooManyRequests(
            "登录失败次数过多，请稍后再试 / too many failed logins, try again later"
        )
    user = await session.scalar(select(User).where(User.username == username))
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH) and bool(
        user and user.active
    )
    async with writing(session):
        session.add(LoginAttempt(username=username, ip=ip, at=now, ok=ok))
        await audit.append(
            session,
            Actor(user.id if user else None, username, ip=ip),
            "auth.login" if ok else "auth.login_failed",
            "user",
            username,
            at=now,
        )
    if not ok or user is None:
        raise Unauthorized("用户名或密码错误 / wrong username or password")
    return user


async def open_web_session(
    session: AsyncSession, user: User, *, now: datetime, settings: Settings
) -> tuple[str, str]:
    """Returns (cookie token, csrf token); only the token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    async with writing(session):
        session.add(
            WebSession(
                token_hash=token_hash(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(days=settings.session_days),
            )
        )
    return token, csrf


async def close_web_session(session: AsyncSession, token: str) -> None:
    async with writing(session):
        await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


async def web_session_user(
    session: AsyncSession, token: str, *, now: datetime
) -> tuple[User, WebSession] | None:
    row = (
        await session.execute(
            select(User, WebSession)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == token_hash(token), WebSession.expires_at > now)
        )
    ).first()
    if row is None or not row[0].active:
        return None
    return row[0], row[1]


async def issue_api_token(
    session: AsyncSession, user: User, *, now: datetime, name: str = "", days: int = 30
) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with writing(session):
        session.add(
            ApiToken(
                user_id=user.id,
                token_hash=token_hash(token),
                name=name,
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
        )
        await audit.append(session, actor_for(user), "auth.token_issued", "user", user.id, at=now)
    return token


async def api_token_user(session: AsyncSession, token: str, *, now: datetime) -> User | None:
    user = await session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash(token), ApiToken.expires_at > now)
    )
    return user if user is not None and user.active else None


async def register_bidder(
    session: AsyncSession,
    *,
    org_name: str,
    uscc: str,
    sme: bool,
    username: str,
    password: str,
    display_name: str,
    ip: str,
    now: datetime,
) -> tuple[User, Organization]:
    """Self-registration of a bidder organization and its first account, in one transaction."""
    try:
        code = validate_uscc(uscc)
    except CodeError as exc:
        raise ValidationFailed(f"uscc: {exc}") from exc
    async with writing(session):
        if await session.scalar(select(Organization.id).where(Organization.uscc == code)):
            raise ValidationFailed(f"uscc: {code} 已注册 / already registered")
        org = Organization(name=org_name.strip(), uscc=code, sme=sme, created_at=now)
        session.add(org)
        await session.flush()
        user = await create_user(
            session,
            username=username,
            password=password,
            display_name=display_name,
            roles=[Role.BIDDER],
            now=now,
            org_id=org.id,
        )
        await audit.append(
            session,
            actor_for(user, ip),
            "party.register_bidder",
            "organization",
            org.id,
            at=now,
            detail={"uscc": code, "username": username},
        )
    return user, org
