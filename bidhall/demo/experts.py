"""Demo experts: every center's pool imported as its staff would (CSV through the pool service),
each expert activated with the demo password; cities and the county draw from the centers above
them too (远程异地评标).

Their keys are derived from the username (expert_identity) and registered like the other
parties' when the expert is first drawn; a key file, as on the expert's own machine, is written
for those who act in a browser (the live lot's committee)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bidhall.demo.accounts import CENTERS, DEMO_PASSWORD, demo_user, key_path
from crypto.keys import Identity, ed25519_public, save_identity, x25519_public
from evaluation.experts import pool_csv as pools
from evaluation.experts import service as experts
from evaluation.experts.models import Expert
from evaluation.scoring.signed import current_key
from trading.auth.models import User
from trading.auth.passwords import hash_password
from trading.auth.service import actor_for
from trading.kernel.codes import uscc_check_char
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.parties import service as parties

# Specialty codes of the demo pools: B01 engineering, C01 equipment and goods, D01 economics
# (cost, finance). Per center: 6 engineers (2 also rate equipment), 4 for goods, 3 economists —
# enough for a committee of 7 of either category from one center's pool alone.
SPECIALTIES = ["B01", "B01", "B01", "B01", "B01;C01", "B01;C01", "C01", "C01", "D01", "D01", "D01"]
PER_CENTER = len(SPECIALTIES)
EXPERTS = PER_CENTER * len(CENTERS)
SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
GIVEN = ["建国", "志强", "海燕", "立新", "文华", "秀兰", "振宇", "春梅", "德明", "丽娟", "永红"]
# Employers: universities, design institutes, hospitals, cost consultancies — none of them a
# demo tenderer or bidder, so no demo expert is excluded from a demo lot by employment.
EMPLOYERS = {
    "B01": ["广西大学土木建筑工程学院", "广西建筑科学研究设计院", "广西交通设计集团有限公司"],
    "C01": ["广西医科大学第一附属医院", "广西计算中心", "广西机电职业技术学院"],
    "D01": ["广西财经学院", "广西华信工程造价咨询有限公司", "广西审计学会"],
}
# Centers whose draws also reach the pool above them (their PoolPolicy).
REACH_PARENT = ("450100", "450200", "450102")
HEADER = "code,name,username,specialties,region,employer,employer_uscc,phone,active,avoid_usccs"


def employer_uscc(name: str) -> str:
    """A stable USCC for a demo employer (public institutions' prefix 12, never a bidder's)."""
    n = [e for names in EMPLOYERS.values() for e in names].index(name) + 1
    body = f"12450000MB{n:07d}"
    return body + uscc_check_char(body)


def pool_csv(center: str, first: int) -> str:
    """The center's pool in the import format; usernames expert-<first>… in order."""
    rows = [HEADER]
    for i, specs in enumerate(SPECIALTIES):
        n = first + i
        employers = EMPLOYERS[specs[:3]]
        employer = employers[n % len(employers)]
        name = SURNAMES[(n - 1) % len(SURNAMES)] + GIVEN[(n - 1) % len(GIVEN)]
        rows.append(
            f"E{center}-{i + 1:02d},{name},expert-{n},{specs},{center},{employer},"
            f"{employer_uscc(employer)},1377100{n:04d},1,"
        )
    return "\n".join(rows) + "\n"


async def seed_experts(rt: Runtime, now: datetime) -> bool:
    """The demo experts (idempotent: False when they exist): pools, policies, passwords.
    Each registers its keys when first drawn (register_key)."""
    async with rt.sessionmaker() as session:
        if await session.scalar(select(Expert.id).where(Expert.code == f"E{CENTERS[0][0]}-01")):
            return False
    for k, (code, *_rest) in enumerate(CENTERS):
        staff = actor_for(await demo_user(rt, f"staff-{code}"))
        async with rt.sessionmaker() as session:
            await pools.import_pool(
                session, staff, code, pool_csv(code, k * PER_CENTER + 1), now=now
            )
            if code in REACH_PARENT:
                await experts.set_policy(
                    session, staff, code, reach_parent=True, recent_days=0, now=now
                )
    # Activation: the pool import leaves no usable password. Every demo account's password is
    # the published demo one, so one scrypt hash serves all of them (start-up time, not secrecy).
    digest = await asyncio.to_thread(hash_password, DEMO_PASSWORD)
    usernames = [f"expert-{n}" for n in range(1, EXPERTS + 1)]
    async with rt.sessionmaker() as session, writing(session):
        for user in await session.scalars(select(User).where(User.username.in_(usernames))):
            user.password_hash = digest
    return True


def expert_identity(username: str) -> Identity:
    """A demo expert's keys, derived from the username: the seed signs for 44 experts without
    opening 44 passphrase-protected files. Anyone can derive them — demo accounts only."""
    sign_priv = hashlib.sha256(f"bidhall demo expert sign key|{username}".encode()).digest()
    enc_priv = hashlib.sha256(f"bidhall demo expert enc key|{username}".encode()).digest()
    return Identity(
        sign_priv=sign_priv,
        sign_pub=ed25519_public(sign_priv),
        enc_priv=enc_priv,
        enc_pub=x25519_public(enc_priv),
    )


async def register_key(rt: Runtime, user: User) -> None:
    """The expert registers its public keys (once: the seat's signatures verify against them)."""
    async with rt.sessionmaker() as session:
        if await current_key(session, user.id) is None:
            await parties.register_keys(
                session,
                actor_for(user),
                expert_identity(user.username).public().to_dict(),
                now=rt.clock.now(),
                platform_sign_priv=rt.platform.sign_priv,
            )


def save_expert_key(rt: Runtime, username: str) -> Path:
    """The expert's key file (the demo password), to import into a browser or a client."""
    path = key_path(rt, username)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_identity(expert_identity(username), path, DEMO_PASSWORD)
    return path
