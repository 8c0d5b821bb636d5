"""Accounts, login with throttling, server-side web sessions and API bearer tokens."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from trading.audit import service as audit
from trading.auth.models import ApiToken, SignInThrottle, User, WebSession
from trading.auth.passwords import DUMMY_HASH, hash_password, off_loop, verify_password
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, TooManyRequests, Unauthorized, ValidationFailed

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


def check_password(password: str) -> None:
    if len(password) < 10:
        raise ValidationFailed("password: 密码至少10位 / at least 10 characters")


USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,63}")


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise ValidationFailed(
            "username: 3–64位小写字母、数字、点、横线或下划线，以字母或数字开头 / 3–64 lower-case"
            " letters, digits, '.', '-' or '_', starting with a letter or digit"
        )
    return username


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
    password_hash: str | None = None,
    org_admin: bool | None = None,
    phone: str = "",
    email: str = "",
) -> User:
    """Create an account inside the caller's write transaction. A caller that can hash first
    passes `password_hash` (of `password`), so scrypt does not run inside its transaction.
    `org_admin` None: the first bidder account of a company administers it (seeded ones)."""
    role_list = sorted(set(roles))
    unknown = [r for r in role_list if r not in Role.__members__.values()]
    if unknown:
        raise ValidationFailed(f"roles: 未知角色 {unknown} / unknown roles")
    check_password(password)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username: {username} 已存在 / already taken")
    if org_admin is None:
        org_admin = (
            org_id is not None
            and Role.BIDDER in role_list
            and await session.scalar(
                select(User.id).where(User.org_id == org_id, User.org_admin.is_(True)).limit(1)
            )
            is None
        )
    user = User(
        username=username,
        display_name=display_name,
        password_hash=password_hash or await off_loop(hash_password, password),
        roles=role_list,
        org_id=org_id,
        org_admin=org_admin,
        phone=phone,
        email=email,
        center_id=center_id,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


# ---- sign-in throttling ------------------------------------------------------------------------
#
# Failures are counted per (username, client address): a flood of guesses from one address slows
# that address down and never locks the account's owner out of their own. Each admitted attempt
# is reserved before its password is checked, so concurrent guesses cannot outrun the budget.
# After `login_max_failures` in a window, every further failure doubles the wait (1 s, 2 s,
# 4 s, ... up to MAX_DELAY). An address failing against many usernames gets the same treatment
# at ADDRESS_FACTOR times the budget. A window closes after `login_window_seconds` without a
# failure (or at a success); one `auth.failures` audit entry then summarises it, so guessing
# costs the audit log one entry per window, not one per attempt.

ADDRESS_WIDE = ""  # the username key of an address's row across all usernames
ADDRESS_FACTOR = 4
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=5)
SWEEP_BATCH = 10
WRONG_PASSWORD = "用户名或密码错误 / wrong username or password"


class SignInThrottled(TooManyRequests):
    """Too many failed sign-ins for this username from this address (or from this address)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"登录失败次数过多，请 {retry_after} 秒后再试 / too many failed sign-ins from this "
            f"address, try again in {retry_after} s",
            detail={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def throttle_address(ip: str) -> str:
    """The address a throttle counts: IPv6 clients by their /64, which one host usually owns."""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _delay(over: int, window: timedelta) -> timedelta:
    """The wait after the budget is exceeded by `over` (0, 1, 2, ...) failures."""
    return min(FIRST_DELAY * 2 ** min(over, 30), MAX_DELAY, window)


async def _lock_row(
    session: AsyncSession, username: str, address: str, *, create_at: datetime | None = None
) -> SignInThrottle | None:
    """The row, locked for this transaction (PostgreSQL; SQLite writers are serialised)."""
    if create_at is not None:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(SignInThrottle)
            .values(
                username=username,
                address=address,
                failures=0,
                refused=0,
                window_start=create_at,
                last_failure_at=create_at,
                locked_until=None,
            )
            .on_conflict_do_nothing()
        )
    return await session.scalar(
        select(SignInThrottle)
        .where(SignInThrottle.username == username, SignInThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _summarise(
    session: AsyncSession, row: SignInThrottle, *, now: datetime, failures: int, budget: int
) -> None:
    """One audit entry for a closed window. An address row only speaks when it went over its
    own budget or refused someone: its failures are already in the per-username entries."""
    address_wide = row.username == ADDRESS_WIDE
    if failures + row.refused == 0 or (address_wide and row.refused == 0 and failures < budget):
        return
    await audit.append(
        session,
        Actor(None, "anonymous" if address_wide else row.username, ip=row.address),
        "auth.failures",
        "address" if address_wide else "user",
        row.address if address_wide else row.username,
        at=now,
        detail={
            "address": row.address,
            "failures": failures,
            "refused": row.refused,
            "first_at": row.window_start.isoformat(),
            "last_at": row.last_failure_at.isoformat(),
        },
    )


async def _roll_window(
    session: AsyncSession, row: SignInThrottle, *, now: datetime, window: timedelta, budget: int
) -> None:
    """Close the row's window if it has been quiet long enough, and start a new one."""
    if row.last_failure_at + window > now or (row.locked_until and row.locked_until > now):
        return
    await _summarise(session, row, now=now, failures=row.failures, budget=budget)
    row.failures, row.refused, row.locked_until = 0, 0, None
    row.window_start = row.last_failure_at = now


def _reserve(row: SignInThrottle, *, now: datetime, window: timedelta, budget: int) -> None:
    if row.failures == 0:
        row.window_start = now
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= budget:
        row.locked_until = now + _delay(row.failures - budget, window)


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


async def _sweep(session: AsyncSession, *, now: datetime, window: timedelta, budget: int) -> None:
    """Close a few windows nobody came back to, so each is still summarised once."""
    stale = await session.scalars(
        select(SignInThrottle)
        .where(
            SignInThrottle.last_failure_at <= now - window,
            or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now),
        )
        .order_by(SignInThrottle.last_failure_at)
        .limit(SWEEP_BATCH)
        # Rows another sign-in holds are its to close; waiting here could deadlock.
        .with_for_update(skip_locked=True)
    )
    for row in stale:
        row_budget = budget * ADDRESS_FACTOR if row.username == ADDRESS_WIDE else budget
        await _summarise(session, row, now=now, failures=row.failures, budget=row_budget)
        await session.delete(row)


async def _admit(
    session: AsyncSession, username: str, address: str, *, now: datetime, settings: Settings
) -> int | None:
    """Reserve one attempt, or return the seconds to wait. Locks the address row, then the
    username's: every transaction takes them in that order."""
    window = timedelta(seconds=settings.login_window_seconds)
    budget = settings.login_max_failures
    async with writing(session):
        rows: list[tuple[SignInThrottle, int]] = []
        for key, row_budget in ((ADDRESS_WIDE, budget * ADDRESS_FACTOR), (username, budget)):
            row = await _lock_row(session, key, address, create_at=now)
            assert row is not None  # just inserted or already there, and locked
            await _roll_window(session, row, now=now, window=window, budget=row_budget)
            if row.locked_until is not None and row.locked_until > now:
                row.refused += 1
                return _retry_after(row.locked_until, now)
            rows.append((row, row_budget))
        for row, row_budget in rows:
            _reserve(row, now=now, window=window, budget=row_budget)
        await session.flush()
        await _sweep(session, now=now, window=window, budget=budget)
    return None


async def _signed_in(
    session: AsyncSession, username: str, address: str, *, now: datetime, settings: Settings
) -> None:
    """The right password closes the username's window here (summarised) and takes its
    attempts off the address's count: they were the owner's own. Someone who knows one
    password can only clear the failures made against that account, never others'."""
    budget = settings.login_max_failures
    address_row = await _lock_row(session, ADDRESS_WIDE, address)  # same order as _admit
    row = await _lock_row(session, username, address)
    if row is not None:
        await _summarise(session, row, now=now, failures=max(0, row.failures - 1), budget=budget)
        await session.delete(row)
    if address_row is not None:
        address_row.failures = max(0, address_row.failures - (row.failures if row else 1))
        if address_row.failures == 0 and address_row.refused == 0:
            await session.delete(address_row)
        elif address_row.failures < budget * ADDRESS_FACTOR:
            address_row.locked_until = None


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    settings: Settings,
) -> User:
    """Check a password, throttled per (username, address); scrypt runs off the event loop.

    Raises SignInThrottled (429, with the seconds to wait) or Unauthorized (401)."""
    if not username:
        raise Unauthorized(WRONG_PASSWORD)
    key, address = username[:64], throttle_address(ip)
    wait = await _admit(session, key, address, now=now, settings=settings)
    if wait is not None:
        raise SignInThrottled(wait)
    user = await session.scalar(select(User).where(User.username == username))
    await session.commit()  # no transaction held open while scrypt runs
    stored = user.password_hash if user else DUMMY_HASH
    ok = await off_loop(verify_password, password, stored) and bool(user and user.active)
    if not ok or user is None:
        # Already counted by the reservation: a failure writes nothing more.
        raise Unauthorized(WRONG_PASSWORD)
    async with writing(session):
        await _signed_in(session, key, address, now=now, settings=settings)
        await audit.append(
            session, Actor(user.id, username, ip=ip), "auth.login", "user", username, at=now
        )
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


# Who a bearer token or a session cookie names: one Core select each, built once (every
# authenticated request asks; the ORM's loading would cost more than the query).
_USERS = User.__table__.c
_ACTOR = (_USERS.id, _USERS.username, _USERS.roles, _USERS.center_id, _USERS.org_id)


def _credential_query(table: Any, *extra: Any) -> Select[Any]:
    return (
        select(*_ACTOR, *extra)
        .join_from(User.__table__, table, table.c.user_id == _USERS.id)
        .where(
            table.c.token_hash == bindparam("hash"),
            table.c.expires_at > bindparam("now", type_=table.c.expires_at.type),
            _USERS.active.is_(True),
        )
    )


_BY_TOKEN = _credential_query(ApiToken.__table__)
_BY_COOKIE = _credential_query(WebSession.__table__, WebSession.__table__.c.csrf_token)


def _actor(row: Row[Any], ip: str) -> Actor:
    user_id, username, roles, center_id, org_id = row[:5]
    return Actor(
        user_id=user_id,
        name=username,
        roles=frozenset(roles),
        ip=ip,
        center_id=center_id,
        org_id=org_id,
    )


async def token_actor(
    connection: AsyncConnection, token: str, *, now: datetime, ip: str
) -> Actor | None:
    """The active user an unexpired API token belongs to, as an actor; None otherwise."""
    row = (await connection.execute(_BY_TOKEN, {"hash": token_hash(token), "now": now})).first()
    return None if row is None else _actor(row, ip)


async def cookie_actor(
    connection: AsyncConnection, token: str, *, now: datetime, ip: str
) -> tuple[Actor, str] | None:
    """The active user of an unexpired web session, as an actor, and the session's CSRF
    token; None otherwise."""
    row = (await connection.execute(_BY_COOKIE, {"hash": token_hash(token), "now": now})).first()
    return None if row is None else (_actor(row, ip), row.csrf_token)


async def issue_api_token(
    session: AsyncSession,
    user: User,
    *,
    now: datetime,
    name: str = "",
    days: int = 30,
    ip: str = "",
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
        await audit.append(
            session, actor_for(user, ip), "auth.token_issued", "user", user.id, at=now
        )
    return token
