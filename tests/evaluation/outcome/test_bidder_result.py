"""Each bidder's own result (issue 13): 评标中 and nothing else until the candidates are
published; then its qualification with the reasons a bid was rejected, its candidate rank; after
the award 中标/未中标 with its letter — never the lot's "已中标" as if about itself. Only the
bidder itself sees it: another bidder, a bidder of another lot, staff and anonymous get nothing.
The bidder's notices tell each step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bidding.opening.flows import run_opening
from bidhall.demo import release_shares
from bidhall.demo.accounts import demo_user
from evaluation.award import service as award
from tests.conftest import PRICES
from tests.support.clients import Client, bearer
from trading.auth.service import actor_for
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot
from trading.projects.service import get_lot

HTML = {"Accept": "text/html"}
# bidder-4 offers above the control price (9,500,000.00): rejected (条例 51); bidder-2 is lowest.
FOUR = {**PRICES, "bidder-4": "9600000.00"}
REASON = "最高投标限价"


async def opened(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, **kw: Any) -> Lot:
    lot = await publish_lot(**kw)
    clock.advance(timedelta(days=1))
    await bid(lot, FOUR)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)
    return lot


async def staff_does(rt: Runtime, clock: FixedClock, step: str, lot_id: int) -> None:
    staff = actor_for(await demo_user(rt, "staff-450100"))
    run = {
        "evaluate": award.evaluate_lot,
        "candidates": award.publish_candidates,
        "award": award.award_lot,
    }[step]
    async with rt.sessionmaker() as session:
        if step == "award":  # after the publicity period (条例 54)
            lot = await get_lot(session, lot_id, staff)
            clock.set(award.publicity_ends(lot, rt.settings))
        await run(session, lot_id, staff, now=rt.clock.now(), settings=rt.settings)


async def result(client: Client, username: str, lot_id: int, expect: int = 200) -> tuple[Any, str]:
    """(JSON, page HTML) of the bidder's result through both entry points."""
    who = await bearer(client, username)
    api = await client.get(f"/api/v1/me/lots/{lot_id}/result", headers=who)
    page = await client.get(f"/bidder/lots/{lot_id}/result", headers={**HTML, **who})
    assert api.status_code == page.status_code == expect, (api.text, page.text[-500:])
    return api.json(), page.text


async def notices(client: Client, username: str, lot_id: int) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/me/notices", headers=await bearer(client, username))
    assert r.status_code == 200, r.text
    return [n for n in r.json() if n["lot_id"] == lot_id]


def kinds(found: list[dict[str, Any]]) -> list[str]:
    return sorted(n["kind"] for n in found)


async def test_evaluating_shows_nothing_of_the_evaluation(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await opened(rt, clock, publish_lot, bid)
    for step in (None, "evaluate"):  # opened, then ranked but not published
        if step:
            await staff_does(rt, clock, step, lot.id)
        body, page = await result(client, "bidder-4", lot.id)
        assert body["stage"] == "evaluating" and body["opening"]["outcome"] == "decrypted"
        assert body["opening"]["price"] == "9600000.00"  # its own row of the public record
        assert body["qualified"] is None and body["reasons"] == [] and body["rank"] is None
        assert body["won"] is None and body["letter"] is None and body["announcements"] == []
        assert "评标中" in page and 'id="evaluating"' in page
        assert REASON not in page and REASON not in str(body) and 'id="reasons"' not in page
        assert await notices(client, "bidder-4", lot.id) == []


async def test_candidates_published_rank_and_rejection_with_reasons(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await opened(rt, clock, publish_lot, bid)
    await staff_does(rt, clock, "evaluate", lot.id)
    await staff_does(rt, clock, "candidates", lot.id)

    first, page = await result(client, "bidder-2", lot.id)
    assert first["stage"] == "publicity"
    assert first["qualified"] is True and first["candidate"] is True and first["rank"] == 1
    assert first["reasons"] == [] and first["publicity_ends"] is not None
    assert "贵方为中标候选人" in page and 'id="rank">1（中标候选人共 3 名）' in page
    assert [a["kind"] for a in first["announcements"]] == ["candidates"]

    rejected, page = await result(client, "bidder-4", lot.id)
    assert rejected["qualified"] is False and rejected["candidate"] is False
    assert rejected["rank"] is None and any(REASON in x for x in rejected["reasons"])
    assert "贵方投标被否决" in page and REASON in page and 'id="reasons"' in page
    # bidder-1 learns its own standing, not why another bid was rejected.
    second, page = await result(client, "bidder-1", lot.id)
    assert second["rank"] == 2 and second["candidate"] is True
    assert REASON not in page and REASON not in str(second)

    told = await notices(client, "bidder-4", lot.id)
    assert kinds(told) == ["bid_rejected", "candidates"]
    assert REASON in next(n for n in told if n["kind"] == "bid_rejected")["text"]
    assert "未被推荐为中标候选人" in next(n for n in told if n["kind"] == "candidates")["text"]
    told = await notices(client, "bidder-2", lot.id)
    assert kinds(told) == ["candidates"] and "排名第1名" in told[0]["text"]
    home = await client.get("/bidder", headers={**HTML, **await bearer(client, "bidder-4")})
    assert 'data-kind="bid_rejected"' in home.text and "投标被否决" in home.text


async def test_after_the_award_winner_and_losers_with_their_letters(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await opened(rt, clock, publish_lot, bid)
    for step in ("evaluate", "candidates", "award"):
        await staff_does(rt, clock, step, lot.id)

    won, page = await result(client, "bidder-2", lot.id)
    assert won["stage"] == "awarded" and won["won"] is True
    assert won["award_price"] == "8950000.00" and won["letter"]["kind"] == "award"
    assert 'data-won="true"' in page and "中标通知书" in page
    assert [a["kind"] for a in won["announcements"]] == ["candidates", "result"]

    for loser in ("bidder-1", "bidder-4"):
        lost, page = await result(client, loser, lot.id)
        assert lost["won"] is False and lost["letter"]["kind"] == "result", loser
        assert lost["award_price"] is None  # the winner's price is in the public result notice
        assert 'data-won="false"' in page and "未中标" in page and "已中标" not in page
        assert "中标结果通知书" in page
        who = await bearer(client, loser)
        pdf = await client.get(lost["letter"]["href"], headers=who)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        home = await client.get("/bidder", headers={**HTML, **who})
        assert f'href="/bidder/lots/{lot.id}/result"' in home.text and "已中标" not in home.text
        told = await notices(client, loser, lot.id)
        outcome = next(n for n in told if n["kind"] == "result")
        assert outcome["text"] == "贵方未中标。" and outcome["href"] == lost["letter"]["href"]
    rejected, page = await result(client, "bidder-4", lot.id)
    assert any(REASON in x for x in rejected["reasons"]) and REASON in page

    told = await notices(client, "bidder-2", lot.id)
    assert kinds(told) == ["award_letter", "candidates", "result"]
    assert next(n for n in told if n["kind"] == "result")["text"].startswith("贵方中标")


async def test_nobody_else_sees_a_bidders_result(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await opened(rt, clock, publish_lot, bid)
    for step in ("evaluate", "candidates"):
        await staff_does(rt, clock, step, lot.id)
    # A lot where bidder-4 did not bid: the same 404 as a lot that does not exist.
    other = await publish_lot(title="另一条道路工程")
    clock.advance(timedelta(days=1))
    await bid(other)  # bidders 1-3 only
    for lot_id in (other.id, 999_999):
        body, _page = await result(client, "bidder-4", lot_id, 404)
        assert "no result of yours" in body["detail"]
    # The address names no bidder: whoever asks gets its own result or nothing.
    for username in ("staff-450100", "supervisor-450000", "custodian-450100-1", "tenderer-1"):
        who = await bearer(client, username)
        r = await client.get(f"/api/v1/me/lots/{lot.id}/result", headers=who)
        assert r.status_code == 403, (username, r.text)
        assert REASON not in r.text
    anonymous = await client.get(f"/api/v1/me/lots/{lot.id}/result")
    assert anonymous.status_code == 401 and REASON not in anonymous.text
    page = await client.get(f"/bidder/lots/{lot.id}/result", headers=HTML, follow_redirects=False)
    assert page.status_code in (302, 303) and "/login" in page.headers["location"]


async def test_a_lot_failed_by_rejections_tells_each_bidder_why(
    rt: Runtime, clock: FixedClock, client: Client, publish_lot: Any, bid: Any
) -> None:
    lot = await publish_lot()
    clock.advance(timedelta(days=1))
    await bid(lot, {**PRICES, "bidder-3": "9600000.00"})  # two valid bids are too few (法 28)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)
    await staff_does(rt, clock, "evaluate", lot.id)

    rejected, page = await result(client, "bidder-3", lot.id)
    assert rejected["stage"] == "failed" and rejected["failure_reason"]
    assert rejected["qualified"] is False and any(REASON in x for x in rejected["reasons"])
    assert "本标段流标" in page and REASON in page and rejected["won"] is None
    assert [a["kind"] for a in rejected["announcements"]] == ["failure"]
    valid, page = await result(client, "bidder-1", lot.id)
    assert valid["qualified"] is True and valid["candidate"] is False and REASON not in page
    assert kinds(await notices(client, "bidder-3", lot.id)) == ["bid_rejected"]
    assert await notices(client, "bidder-1", lot.id) == []
