"""The hall's SSE stream on the real server: the sequence of an opening, and no early price."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from bidding.opening.flows import run_opening
from bidhall.demo import BIDDERS, release_shares
from tests.bidding.hall.conftest import Event, next_event, sse, until
from tests.support.clients import bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime

PRICES = {"bidder-1": "9100000.00", "bidder-2": "8950000.00", "bidder-3": "9230000.00"}
NAMES = [name for username, name, _sme in BIDDERS if username in PRICES]


def body(event: Event) -> dict[str, Any]:
    """An event's payload without the server time the stream stamps on it."""
    return {k: v for k, v in event.data.items() if k != "at"}


def leaks(raw: str) -> list[str]:
    """Any price (as sent or formatted) or bidder name in an event's payload."""
    secrets = [*NAMES]
    for price in PRICES.values():
        whole = price.split(".")[0]
        secrets += [price, whole, f"{int(whole):,}"]
    return [s for s in secrets if s in raw]


async def test_stream_follows_the_opening_and_reveals_prices_only_with_the_record(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, live_server: str
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot, PRICES)
    clock.set(lot.bid_deadline)
    async with (
        httpx.AsyncClient(base_url=live_server, timeout=30) as http,
        http.stream("GET", f"/lots/{lot.id}/hall/events") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse(response)
        first = await next_event(events)
        assert first.kind == "snapshot"
        assert first.data["state"] == "announced" and first.data["record"] is None
        assert first.data["bids"] is None  # how many bid is secret before the opening
        assert first.data["custody"] == {"released": 0, "threshold": 2, "custodians": 3}
        # The snapshot came after the subscription: what the services commit now is seen.
        await run_opening(rt, lot.id)
        clock.advance(timedelta(minutes=5))
        await release_shares(rt, lot.id, lambda _m: None)
        seen = await until(events, "record")
        after = await next_event(events, "presence")
    opening = [e for e in seen if e.kind not in ("presence", "roster")]
    # Who has acted, by position only (no names before the record), as absolute lists.
    rosters = [body(e) for e in seen if e.kind == "roster"]
    assert rosters[0]["sealed"] == [1, 2, 3] and rosters[0]["released"] == []
    assert rosters[0]["decrypt_ends_at"] == (lot.bid_deadline + timedelta(minutes=30)).isoformat()
    assert rosters[-1]["released"] == [1, 2] and rosters[-1]["custodians"] == 3
    assert [e.kind for e in opening] == [
        "state",
        "share",
        "share",
        "key",
        "decrypt",  # progress comes per batch of outcomes: three bids are one batch
        "state",
        "record",
    ]
    by_kind = {e.kind: e for e in opening}
    assert body(opening[0]) == {"state": "opening", "bids": 3}
    assert [body(e) for e in seen if e.kind == "share"][-1] == {
        "released": 2,
        "threshold": 2,
        "custodians": 3,
    }
    assert [body(e) for e in seen if e.kind == "decrypt"][-1] == {"done": 3, "total": 3}
    for event in seen[:-1]:
        assert leaks(event.raw) == [], (event.kind, event.raw)
    record = by_kind["record"].data["record"]
    assert sorted(r["price"] for r in record["rows"]) == sorted(PRICES.values())
    assert by_kind["record"].data["signature"] and by_kind["record"].id
    # Right after the record comes a snapshot with the response window.
    assert after.kind == "snapshot" and after.data["state"] == "opened"
    assert after.data["window_ends_at"] == (clock.now() + timedelta(minutes=30)).isoformat()


async def test_connecting_during_the_opening_shows_counts_and_no_price(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, live_server: str
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot, PRICES)
    clock.set(lot.bid_deadline)
    assert await run_opening(rt, lot.id) == "opening"
    async with (
        httpx.AsyncClient(base_url=live_server, timeout=30) as http,
        http.stream("GET", f"/lots/{lot.id}/hall/events") as response,
    ):
        events = sse(response)
        first = await next_event(events)
        assert first.kind == "snapshot" and first.data["state"] == "opening"
        assert first.data["bids"] == 3 and first.data["decrypt"] == {"done": 0, "total": 3}
        assert leaks(first.raw) == []
        await release_shares(rt, lot.id, lambda _m: None)
        seen = await until(events, "record")
    assert all(leaks(e.raw) == [] for e in seen[:-1])
    assert seen[-1].kind == "record" and leaks(seen[-1].raw)


async def test_presence_counts_bidders_and_viewers_without_names(
    rt: Runtime, publish_lot: Any, live_server: str
) -> None:
    lot = await publish_lot()
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        bidder = await bearer(http, "bidder-1")
        async with http.stream("GET", f"/lots/{lot.id}/hall/events") as public:
            watching = sse(public)
            first = await next_event(watching)
            assert first.data["presence"] == {"bidders": 0, "viewers": 1}
            async with http.stream(
                "GET", f"/lots/{lot.id}/hall/events", headers=bidder
            ) as signed_in:
                mine = sse(signed_in)
                snap = await next_event(mine)
                assert snap.data["presence"] == {"bidders": 1, "viewers": 2}
                assert snap.data["online"] == []  # names only once the record is out
                joined = await next_event(watching, "snapshot")
                while body(joined) != {"bidders": 1, "viewers": 2}:
                    joined = await next_event(watching)
                assert joined.kind == "presence" and "online" not in joined.data
            left = await next_event(watching)
            assert left.kind == "presence" and body(left) == {"bidders": 0, "viewers": 1}


async def test_hall_page_and_stream_hide_drafts(
    rt: Runtime, publish_lot: Any, live_server: str
) -> None:
    lot = await publish_lot(title="大厅页面测试工程")
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        page = await http.get(f"/lots/{lot.id}/hall", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "开标大厅" in page.text and "大厅页面测试工程" in page.text
        assert "9,500,000.00" in page.text  # the control price is shown
        missing = await http.get("/lots/999999/hall/events")
        assert missing.status_code == 404
