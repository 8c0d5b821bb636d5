"""Completed tenders in every center (awarded, failed, cancelled, draft), for the
portal's lists and statistics: seed_history() on a simulated clock. Every awarded lot is ranked
from the scores of a committee drawn from the demo experts' pools (bidhall.demo.committee)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from bidding.opening.flows import run_opening
from bidhall.demo import committee
from bidhall.demo.accounts import demo_user
from bidhall.demo.experts import EXPERTS, seed_experts
from bidhall.demo.steps import (
    LotPlanDemo,
    Say,
    evaluate_and_award,
    register,
    register_and_publish,
    release_shares,
    submit_bids,
)
from evaluation.award import service as evaluation
from trading.auth.service import actor_for
from trading.enums import Category, LotState, Method
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects import service as projects

_PLANS = [
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
# Each lot registers its committee's criteria (checked with its method at registration).
HISTORY = [dataclasses.replace(p, evaluation_params=committee.scoring_params(p.category))
           for p in _PLANS]  # fmt: skip
# A large works contract gets a committee of 7 (more than the law's 5); one lot shows a
# deviating score with its expert's written reason.
COMMITTEE_SIZE = {"G72泉南高速公路南宁段改扩建工程": 7}
WITH_DEVIATION = "柳州市人民医院医疗设备采购"


async def seed_history(rt: Runtime, now: datetime, say: Say) -> None:
    """Completed tenders in each center, run through every step on a simulated clock."""
    # Each tender takes about a month; run them one after another so time only moves forward.
    clock = FixedClock(now - timedelta(days=40 * len(HISTORY)))
    sim = dataclasses.replace(rt, clock=clock, scheduler=None)
    if await seed_experts(sim, clock.now()):
        say(f"  专家库：{EXPERTS}名评标专家（expert-1…expert-{EXPERTS}）")
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
            staff = actor_for(await demo_user(sim, f"staff-{plan.center}"))
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
                staff = actor_for(await demo_user(sim, f"staff-{plan.center}"))
                async with sim.sessionmaker() as session:
                    state = await evaluation.evaluate_lot(
                        session, lot.id, staff, now=clock.now(), settings=sim.settings
                    )
            say(f"  流标：{plan.title}（{state}）")
        else:
            # Drawn on the day of the evaluation (远程异地评标: the pools above reach too).
            size = COMMITTEE_SIZE.get(plan.title, 0)
            await committee.draw(sim, lot.id, plan.center, plan.category, size)
            clock.advance(timedelta(hours=2))
            await committee.evaluate(sim, lot.id, deviation=plan.title == WITH_DEVIATION)
            clock.advance(timedelta(hours=1))
            lot = await evaluate_and_award(sim, lot.id, plan.center, clock.advance)
            say(f"  已中标：{plan.title} 中标价 {lot.award_price}")
        clock.advance(timedelta(days=5))
