"""Demo centers, organizations and accounts, and the parties' key files: seed()."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from crypto.keys import Identity, generate_identity, load_identity, save_identity
from trading.auth.models import User
from trading.auth.service import actor_for, create_user
from trading.centers.models import Center
from trading.enums import Role
from trading.kernel.codes import uscc_check_char
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.parties import service as parties
from trading.parties.models import Organization

DEMO_PASSWORD = "bidhall-demo-2026"

CENTERS = [
    ("450000", "广西壮族自治区公共资源交易中心", "Guangxi Public Resource Trading Center", None),
    ("450100", "南宁市公共资源交易中心", "Nanning Public Resource Trading Center", "450000"),
    ("450200", "柳州市公共资源交易中心", "Liuzhou Public Resource Trading Center", "450000"),
    ("450102", "南宁市兴宁区公共资源交易中心", "Xingning District Trading Center", "450100"),
]

# (username, organization name, small/micro enterprise)
TENDERERS = [("tenderer-1", "广西交通投资建设集团有限公司", False)]
BIDDERS = [
    ("bidder-1", "广西路桥工程集团有限公司", False),
    ("bidder-2", "南宁建工集团有限责任公司", False),
    ("bidder-3", "柳州市政建设有限公司", True),
    ("bidder-4", "桂林华远建设工程有限公司", True),
]
CUSTODIANS_PER_CENTER = 3


def demo_uscc(n: int) -> str:
    body = f"91450100MA{n:07d}"
    return body + uscc_check_char(body)


def key_path(rt: Runtime, username: str) -> Path:
    return rt.settings.key_dir / "demo" / f"{username}.key"


def demo_identity(rt: Runtime, username: str) -> Identity:
    """The party's own key file, as it would sit on its own machine."""
    return load_identity(key_path(rt, username), DEMO_PASSWORD)


async def demo_user(rt: Runtime, username: str) -> User:
    """A seeded account by username (the demo's steps act as these users)."""
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        return user


async def seed(rt: Runtime, now: datetime) -> bool:
    """Centers, organizations, accounts and keys; returns False when already seeded."""
    async with rt.sessionmaker() as session:
        if await session.scalar(select(Center.id).where(Center.code == CENTERS[0][0])):
            return False
        new_keys: list[tuple[User, Identity]] = []
        async with writing(session):
            ids: dict[str, int] = {}
            for code, name, name_en, parent in CENTERS:
                level = (
                    "province"
                    if code.endswith("0000")
                    else "city"
                    if code.endswith("00")
                    else "county"
                )
                center = Center(
                    code=code,
                    name=name,
                    name_en=name_en,
                    level=level,
                    parent_id=ids.get(parent or ""),
                    rule_overrides={},
                )
                session.add(center)
                await session.flush()
                ids[code] = center.id
                await create_user(
                    session,
                    username=f"staff-{code}",
                    password=DEMO_PASSWORD,
                    display_name=f"{name}工作人员",
                    roles=[Role.STAFF],
                    now=now,
                    center_id=center.id,
                )
                for i in range(1, CUSTODIANS_PER_CENTER + 1):
                    user = await create_user(
                        session,
                        username=f"custodian-{code}-{i}",
                        password=DEMO_PASSWORD,
                        display_name=f"{name}开标人{i}",
                        roles=[Role.CUSTODIAN],
                        now=now,
                        center_id=center.id,
                    )
                    new_keys.append((user, generate_identity()))
            await create_user(
                session,
                username="supervisor-450000",
                password=DEMO_PASSWORD,
                display_name="自治区电子监察",
                roles=[Role.SUPERVISOR],
                now=now,
                center_id=ids["450000"],
            )
            # A city supervisor: reads Nanning and its county (Xingning), not Liuzhou.
            await create_user(
                session,
                username="supervisor-450100",
                password=DEMO_PASSWORD,
                display_name="南宁市电子监察",
                roles=[Role.SUPERVISOR],
                now=now,
                center_id=ids["450100"],
            )
            for n, (username, name, sme) in enumerate(TENDERERS + BIDDERS, start=1):
                org = Organization(name=name, uscc=demo_uscc(n), sme=sme, created_at=now)
                session.add(org)
                await session.flush()
                role = Role.TENDERER if (username, name, sme) in TENDERERS else Role.BIDDER
                user = await create_user(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    display_name=name,
                    roles=[role],
                    now=now,
                    org_id=org.id,
                )
                if role == Role.BIDDER:
                    new_keys.append((user, generate_identity()))
        for user, identity in new_keys:
            path = key_path(rt, user.username)
            path.parent.mkdir(parents=True, exist_ok=True)
            save_identity(identity, path, DEMO_PASSWORD)
            await parties.register_keys(
                session,
                actor_for(user),
                identity.public().to_dict(),
                now=now,
                platform_sign_priv=rt.platform.sign_priv,
            )
    return True
