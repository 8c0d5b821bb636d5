"""The bidder's workspace lists its notices and its award letter (issue 11: 中标通知书 to the
winner, 中标结果通知书 to the others, delivered to their workspace), each only to its addressee."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bidding.opening.flows import start
from bidhall.demo.steps import evaluate_and_award, release_shares
from tests.support.clients import Client, bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

HTML = {"Accept": "text/html"}


async def test_each_bidder_finds_its_own_letter_on_its_page(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    await bid(lot)  # bidder-2 offers the lowest price and wins
    clock.set(lot.bid_deadline + timedelta(seconds=1))
    await start(rt, lot.id)
    await release_shares(rt, lot.id, lambda _m: None)
    await evaluate_and_award(rt, lot.id, "450100", clock.advance)

    pages = {}
    for username in ("bidder-1", "bidder-2"):
        headers = {**HTML, **await bearer(client, username)}
        r = await client.get("/bidder", headers=headers)
        assert r.status_code == 200, r.text
        pages[username] = (r.text, headers)
    winner, loser = pages["bidder-2"][0], pages["bidder-1"][0]
    assert 'data-kind="award_letter"' in winner and 'data-kind="result_letter"' not in winner
    assert 'data-kind="result_letter"' in loser and 'data-kind="award_letter"' not in loser
    assert "中标通知书" in winner and "中标结果通知书" in loser
    own = re.search(r'href="(/api/v1/letters/\d+/letter.pdf)"', winner)
    assert own is not None
    pdf = await client.get(own[1], headers=pages["bidder-2"][1])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")  # make test installs the font
    # The loser cannot fetch the winner's letter by its address.
    stolen = await client.get(own[1], headers=pages["bidder-1"][1])
    assert stolen.status_code == 404
