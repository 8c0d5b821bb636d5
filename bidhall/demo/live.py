"""The live sandbox lot: published with bids in, its opening still ahead for the running
server's scheduler."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from bidhall.demo.steps import LotPlanDemo, Say, register_and_publish, submit_bids
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
