"""`bidhall demo`: the walking skeleton, one sandbox tender from registration to award."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bidding.opening.flows import run_opening
from bidhall.demo.accounts import demo_user, seed
from bidhall.demo.live import LIVE, sandbox_deadline
from bidhall.demo.steps import Say, register_and_publish, release_shares, submit_bids
from bidhall.scheduler import OpeningScheduler
from evaluation.award import service as evaluation
from trading.auth.service import actor_for
from trading.enums import Category
from trading.kernel.runtime import Runtime
from trading.projects import service as projects
from trading.projects.models import Lot
from trading.reports.service import lot_savings


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
        evaluation_params={},  # no committee: ranked on price alone
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
        staff = actor_for(await demo_user(rt, f"staff-{plan.center}"))
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
