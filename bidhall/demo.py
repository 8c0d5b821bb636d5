"""Demo data and the end-to-end walking skeleton, driven through the real services.

Everything here is what users would do, done by a script: staff register and publish,
bidders seal on "their machine" and submit, the scheduler opens, custodians release shares,
the lot is ranked, publicised and awarded. Nothing is hard-coded but the inputs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.client.sealing import seal_bid
from bidding.opening import flows as openings
from bidding.opening.flows import context, run_opening
from bidding.submission import service as submission
from bidhall.scheduler import OpeningScheduler
from crypto.custody import CustodyBundle, open_share
from crypto.encoding import b64u_decode
from crypto.keys import Identity, generate_identity, load_identity, save_identity
from crypto.labels import envelope_lot_id
from evaluation.award import service as evaluation
from trading.auth.models import User
from trading.auth.service import actor_for, create_user
from trading.centers.models import Center
from trading.enums import Category, LotState, Method, PriceBasis, Role
from trading.kernel.blobs import iter_file
from trading.kernel.clock import FixedClock
from trading.kernel.codes import uscc_check_char
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.parties import service as parties
from trading.parties.models import Organization
from trading.projects import publishing
from trading.projects import service as projects
from trading.projects.models import Lot
from trading.projects.schemas import LotIn, ProjectIn
from trading.reports.service import lot_savings

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

Say = Callable[[str], None]


def demo_uscc(n: int) -> str:
    body = f"91450100MA{n:07d}"
    return body + uscc_check_char(body)


def key_path(rt: Runtime, username: str) -> Path:
    return rt.settings.key_dir / "demo" / f"{username}.key"


def demo_identity(rt: Runtime, username: str) -> Identity:
    """The party's own key file, as it would sit on its own machine."""
    return load_identity(key_path(rt, username), DEMO_PASSWORD)


async def _user(rt: Runtime, username: str) -> User:
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


@dataclasses.dataclass(frozen=True)
class LotPlanDemo:
    center: str
    title: str
    lot_title: str
    category: Category
    method: Method
    budget: Decimal
    control_price: Decimal | None
    prices: dict[str, str]  # bidder username -> price
    sandbox: bool = False
    # What seed_history makes of it: "award", "fail" (too few bids), "cancel", "draft".
    outcome: str = "award"


async def register_and_publish(
    rt: Runtime, plan: LotPlanDemo, *, issued: datetime, deadline: datetime
) -> Lot:
    project_id = await register(rt, plan, issued=issued, deadline=deadline)
    staff = actor_for(await _user(rt, f"staff-{plan.center}"))
    async with rt.sessionmaker() as session:
        project = await projects.get_project(session, project_id, staff)
        return await publishing.publish_lot(
            session, project.lots[0].id, staff, now=rt.clock.now(), settings=rt.settings
        )


async def register(rt: Runtime, plan: LotPlanDemo, *, issued: datetime, deadline: datetime) -> int:
    """Register the plan's project (one lot, still a draft) as the center's staff."""
    staff = actor_for(await _user(rt, f"staff-{plan.center}"))
    async with rt.sessionmaker() as session:
        tenderer = await session.scalar(
            select(Organization).where(Organization.uscc == demo_uscc(1))
        )
        assert tenderer is not None
        project = await projects.register_project(
            session,
            ProjectIn(
                title=plan.title,
                category=plan.category,
                method=plan.method,
                tenderer_uscc=tenderer.uscc,
                center_code=plan.center,
                sandbox=plan.sandbox,
                description=f"{plan.title}，资金来源已落实，现进行公开招标。",
                lots=[
                    LotIn(
                        title=plan.lot_title,
                        budget=plan.budget,
                        control_price=plan.control_price,
                        price_basis=PriceBasis.CONTROL_PRICE
                        if plan.control_price
                        else PriceBasis.BUDGET,
                        bid_security=(
                            (plan.control_price or plan.budget) * Decimal("0.01")
                        ).quantize(Decimal("0.01")),
                        docs_issued_at=issued,
                        bid_deadline=deadline,
                    )
                ],
            ),
            staff,
            now=rt.clock.now(),
            settings=rt.settings,
        )
        return project.id


async def submit_bids(rt: Runtime, lot: Lot, prices: dict[str, str], say: Say) -> None:
    assert lot.opening_pub is not None
    with tempfile.TemporaryDirectory() as tmp:
        for username, price in prices.items():
            user = await _user(rt, username)
            identity = demo_identity(rt, username)
            async with rt.sessionmaker() as session:
                org = await session.get(Organization, user.org_id)
                assert org is not None
                sealed = seal_bid(
                    identity,
                    lot_id=envelope_lot_id(lot.id),
                    bidder_id=org.uscc,
                    version=1,
                    opening_pub=b64u_decode(lot.opening_pub, length=32),
                    price_form={"price": price, "duration_days": 180, "quality": "合格"},
                    files=[("技术标.txt", _doc(tmp, f"{org.name} 技术方案"))],
                    out=Path(tmp) / f"{username}.sealed",
                )
                staged = await rt.blobs.stage(
                    iter_file(sealed.path), max_size=submission.MAX_BID_BYTES
                )
                bid = await submission.submit_bid(
                    session, lot.id, actor_for(user), staged, sealed.signature, context(rt)
                )
            say(
                f"  {org.name} 提交密封投标 sha256={bid.ciphertext_sha256[:16]}…"
                f" 回执#{bid.receipt['audit_index']}"
            )


def _doc(tmp: str, text: str) -> Path:
    path = Path(tmp) / f"doc-{abs(hash(text))}.txt"
    path.write_text(text * 100, encoding="utf-8")
    return path


async def release_shares(rt: Runtime, lot_id: int, say: Say) -> LotState:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None and lot.custody is not None
        custody = lot.custody
    bundle = CustodyBundle.from_dict(custody["bundle"])
    state = LotState.OPENING
    async with rt.sessionmaker() as session:
        for user_id in custody["custodians"][: custody["threshold"]]:
            user = await session.get(User, user_id)
            assert user is not None
            identity = demo_identity(rt, user.username)
            released = open_share(bundle.share_for(identity.enc_pub), identity.enc_priv)
            state = await openings.release_share(rt, lot_id, actor_for(user), released.to_dict())
            say(f"  开标人 {user.display_name} 释放密钥分片 → {state}")
    return state


async def evaluate_and_award(
    rt: Runtime, lot_id: int, center: str, advance: Callable[[timedelta], None]
) -> Lot:
    staff = actor_for(await _user(rt, f"staff-{center}"))
    async with rt.sessionmaker() as session:
        await evaluation.evaluate_lot(
            session, lot_id, staff, now=rt.clock.now(), settings=rt.settings
        )
        await evaluation.publish_candidates(
            session, lot_id, staff, now=rt.clock.now(), settings=rt.settings
        )
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        lot = await projects.get_lot(session, lot_id, staff)
        wait = evaluation.publicity_ends(lot, rt.settings) - rt.clock.now()
    advance(wait + timedelta(seconds=1))
    async with rt.sessionmaker() as session:
        await evaluation.award_lot(session, lot_id, staff, now=rt.clock.now(), settings=rt.settings)
        return await projects.get_lot(session, lot_id, staff)


HISTORY = [
    LotPlanDemo(
        "450000",
        "G72泉南高速公路南宁段改扩建工程",
        "第1标段 路基桥涵",
        Category.CONSTRUCTION,
        Method.OPEN_TENDER,
        Decimal("86500000.00"),
        Decimal("84200000.00"),
        {"bidder-1": "80150000.00", "bidder-2": "81980000.00", "bidder-3": "79640000.00"},
    ),
    LotPlanDemo(
        "450100",
        "南宁市第三中学教学楼改造工程",
        "施工总承包",
        Category.CONSTRUCTION,
        Method.OPEN_TENDER,
        Decimal("12800000.00"),
        Decimal("12500000.00"),
        {"bidder-2": "11870000.00", "bidder-3": "12040000.00", "bidder-4": "11990000.00"},
    ),
    LotPlanDemo(
        "450200",
        "柳州市人民医院医疗设备采购",
        "包1 影像设备",
        Category.PROCUREMENT,
        Method.OPEN_TENDER,
        Decimal("5600000.00"),
        None,
        {"bidder-1": "5120000.00", "bidder-3": "4980000.00", "bidder-4": "5230000.00"},
    ),
    LotPlanDemo(
        "450102",
        "兴宁区老旧小区改造项目",
        "施工",
        Category.CONSTRUCTION,
        Method.OPEN_TENDER,
        Decimal("3200000.00"),
        Decimal("3150000.00"),
        {"bidder-1": "2990000.00", "bidder-2": "3045000.00", "bidder-4": "2968000.00"},
    ),
    # More outcomes, so the statistics show a county's categories and keep failed,
    # cancelled and unpublished lots apart from the savings rates.
    LotPlanDemo(
        "450102",
        "兴宁区中小学课桌椅采购",
        "包1 课桌椅",
        Category.PROCUREMENT,
        Method.OPEN_TENDER,
        Decimal("860000.00"),
        None,
        {"bidder-2": "798000.00", "bidder-3": "812500.00", "bidder-4": "805000.00"},
    ),
    LotPlanDemo(
        "450200",
        "柳州市柳东新区排水管网工程",
        "施工",
        Category.CONSTRUCTION,
        Method.OPEN_TENDER,
        Decimal("7600000.00"),
        Decimal("7450000.00"),
        {"bidder-1": "7210000.00"},
        outcome="fail",
    ),
    LotPlanDemo(
        "450100",
        "南宁市政务服务中心物业服务采购",
        "包1 物业服务",
        Category.PROCUREMENT,
        Method.OPEN_TENDER,
        Decimal("1200000.00"),
        None,
        {},
        outcome="cancel",
    ),
    LotPlanDemo(
        "450102",
        "兴宁区农贸市场提升改造工程",
        "施工",
        Category.CONSTRUCTION,
        Method.OPEN_TENDER,
        Decimal("2300000.00"),
        Decimal("2250000.00"),
        {},
        outcome="draft",
    ),
]


async def seed_history(rt: Runtime, now: datetime, say: Say) -> None:
    """Completed tenders in each center, run through every step on a simulated clock."""
    # Each tender takes about a month; run them one after another so time only moves forward.
    clock = FixedClock(now - timedelta(days=40 * len(HISTORY)))
    sim = dataclasses.replace(rt, clock=clock, scheduler=None)
    for plan in HISTORY:
        issued = clock.now()
        deadline = issued + timedelta(days=21)
        if plan.outcome == "draft":
            await register(sim, plan, issued=issued, deadline=deadline)
            say(f"  已登记（未发布）：{plan.title}")
            continue
        lot = await register_and_publish(sim, plan, issued=issued, deadline=deadline)
        clock.advance(timedelta(days=2))
        if plan.outcome == "cancel":
            staff = actor_for(await _user(sim, f"staff-{plan.center}"))
            async with sim.sessionmaker() as session:
                await projects.cancel_lot(session, lot.id, staff, "采购需求变更", now=clock.now())
            say(f"  已终止：{plan.title}")
            clock.advance(timedelta(days=5))
            continue
        await submit_bids(sim, lot, plan.prices, say)
        clock.set(lot.bid_deadline)
        state = await run_opening(sim, lot.id)  # what the scheduler does at the deadline
        clock.advance(timedelta(minutes=10))
        if state == LotState.OPENING:
            await release_shares(sim, lot.id, say)
        clock.advance(timedelta(days=2))
        if plan.outcome == "fail":
            if state != LotState.FAILED:
                staff = actor_for(await _user(sim, f"staff-{plan.center}"))
                async with sim.sessionmaker() as session:
                    state = await evaluation.evaluate_lot(
                        session, lot.id, staff, now=clock.now(), settings=sim.settings
                    )
            say(f"  流标：{plan.title}（{state}）")
        else:
            lot = await evaluate_and_award(sim, lot.id, plan.center, clock.advance)
            say(f"  已中标：{plan.title} 中标价 {lot.award_price}")
        clock.advance(timedelta(days=5))


LIVE = LotPlanDemo(
    "450000",
    "自治区政务云平台扩容项目（演练）",
    "包1 服务器及存储",
    Category.PROCUREMENT,
    Method.OPEN_TENDER,
    Decimal("2400000.00"),
    None,
    {"bidder-1": "2215000.00", "bidder-2": "2189000.00", "bidder-4": "2260500.00"},
    sandbox=True,
)


def sandbox_deadline(rt: Runtime, issued: datetime, margin: timedelta) -> datetime:
    # 20 days is the longest period before the deadline (法 24 / 采购法 35), accelerated.
    return issued + timedelta(days=20) / rt.settings.sandbox_factor + margin


# The live demo lot's accelerator: its 20-day bid period passes in 2 minutes.
LIVE_ACCELERATOR = 14400


async def seed_live(rt: Runtime, say: Say, margin: timedelta) -> Lot:
    """A sandbox lot whose opening is still ahead: the running server's scheduler opens it."""
    rt = dataclasses.replace(rt, settings=rt.settings.with_(sandbox_factor=LIVE_ACCELERATOR))
    issued = rt.clock.now()
    lot = await register_and_publish(
        rt, LIVE, issued=issued, deadline=sandbox_deadline(rt, issued, margin)
    )
    await submit_bids(rt, lot, LIVE.prices, say)
    return lot


async def walking_skeleton(rt: Runtime, say: Say) -> dict[str, Any]:
    """`bidhall demo`: one sandbox tender from registration to award, with the real scheduler."""
    now = rt.clock.now()
    if await seed(rt, now):
        say("已创建演示数据：4个交易中心、投标人、开标人及其密钥")
    issued = rt.clock.now()
    plan = dataclasses.replace(
        LIVE,
        title="演示：市政道路照明改造（演练）",
        lot_title="施工",
        center="450100",
        category=Category.CONSTRUCTION,
        budget=Decimal("1500000.00"),
        control_price=Decimal("1460000.00"),
        prices={"bidder-1": "1388000.00", "bidder-2": "1402500.00", "bidder-3": "1375900.00"},
    )
    deadline = sandbox_deadline(rt, issued, timedelta(seconds=3))
    lot = await register_and_publish(rt, plan, issued=issued, deadline=deadline)
    say(
        f"1. 登记并发布演练项目 {plan.title}（标段 {lot.id}），投标截止/开标 {deadline.isoformat()}"
    )
    say("2. 投标人在本机密封（HPKE → 本标段开标公钥）并提交：")
    await submit_bids(rt, lot, plan.prices, say)
    opened = asyncio.Event()

    async def opener(lot_id: int) -> None:
        await run_opening(rt, lot_id)
        opened.set()

    async def no_due() -> list[tuple[int, datetime]]:
        return []

    scheduler = OpeningScheduler(opener, no_due, rt.clock)
    scheduler.start()
    scheduler.schedule_opening(lot.id, lot.bid_deadline)
    say(f"3. 调度器已登记作业 lot:{lot.id}:open，等待开标时间……")
    await opened.wait()
    scheduler.shutdown()
    say("4. 截止时间到，调度器触发开标；开标人释放密钥分片：")
    state = await release_shares(rt, lot.id, say)
    say(f"   解密完成，开标记录已签名公布（状态 {state}）")

    async def award() -> Lot:
        staff = actor_for(await _user(rt, f"staff-{plan.center}"))
        async with rt.sessionmaker() as session:
            await evaluation.evaluate_lot(
                session, lot.id, staff, now=rt.clock.now(), settings=rt.settings
            )
            await evaluation.publish_candidates(
                session, lot.id, staff, now=rt.clock.now(), settings=rt.settings
            )
            current = await projects.get_lot(session, lot.id, staff)
            ends = evaluation.publicity_ends(current, rt.settings)
        say(f"5. 低价优先法排名完成，中标候选人公示至 {ends.isoformat()}")
        await asyncio.sleep(max(0.0, (ends - rt.clock.now()).total_seconds()) + 0.2)
        async with rt.sessionmaker() as session:
            await evaluation.award_lot(
                session, lot.id, staff, now=rt.clock.now(), settings=rt.settings
            )
            return await projects.get_lot(session, lot.id, staff)

    lot = await award()
    figures = lot_savings(lot)
    assert figures is not None
    say(f"6. 定标：中标价 {lot.award_price} 元；节约资金 {figures[0]} 元；节约率 {figures[1]}%")
    return {
        "lot_id": lot.id,
        "award_price": str(lot.award_price),
        "savings": str(figures[0]),
        "savings_rate": str(figures[1]),
    }
