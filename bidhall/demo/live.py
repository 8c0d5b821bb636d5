"""The live sandbox lot: published with bids in and its committee drawn, its opening still
ahead for the running server's scheduler; once opened, the demo experts evaluate it at /expert."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from bidhall.demo import committee
from bidhall.demo.experts import save_expert_key, seed_experts
from bidhall.demo.steps import (
    LotPlanDemo,
    Say,
    register_and_publish,
    submit_bids,
    tender_documents,
)
from trading.enums import Category, Method
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

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
    evaluation_params=committee.scoring_params(Category.PROCUREMENT),
)


def sandbox_deadline(rt: Runtime, issued: datetime, margin: timedelta) -> datetime:
    # 20 days is the longest period before the deadline (法 24 / 采购法 35), accelerated.
    return issued + timedelta(days=20) / rt.settings.sandbox_factor + margin


# The live demo lot's accelerator: its 20-day bid period passes in 2 minutes.
LIVE_ACCELERATOR = 14400


async def seed_live(rt: Runtime, say: Say, margin: timedelta) -> Lot:
    """A sandbox lot whose opening is still ahead: the running server's scheduler opens it.
    Its committee is drawn now; its members' key files are written for their browsers."""
    rt = dataclasses.replace(rt, settings=rt.settings.with_(sandbox_factor=LIVE_ACCELERATOR))
    issued = rt.clock.now()
    lot = await register_and_publish(
        rt, LIVE, issued=issued, deadline=sandbox_deadline(rt, issued, margin)
    )
    await tender_documents(
        rt, lot, "staff-450000", "bidder-2",
        "服务器是否接受国产化CPU平台？",
        "接受，须满足招标文件第三章技术参数，并提供适配证明。",
        say,
    )  # fmt: skip
    await submit_bids(rt, lot, LIVE.prices, say)
    await seed_experts(rt, issued)
    await committee.draw(rt, lot.id, LIVE.center, LIVE.category)
    seated = await committee.members(rt, lot.id)
    for member in seated:
        await asyncio.to_thread(save_expert_key, rt, member.user.username)
    names = ", ".join(m.user.username for m in seated)
    say(f"  评标委员会已抽取：{names}（首位为主任委员），开标后在 /expert 远程评标")
    return lot
