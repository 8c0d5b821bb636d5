"""暗标: on a lot whose technical part is evaluated anonymously, an expert's pages and JSON never
show the bidders' names, USCCs, prices or bid ids (the public opening record pairs each with the
company) before the chair finalises; the letters are stable; afterwards each letter is shown
beside its company."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bidding.workspace import forms
from tests.bidding.hall.conftest import csrf_of, web_login
from tests.evaluation.clarify.conftest import declare_all, letters, mark_anonymous, secrets_of
from tests.evaluation.scoring.conftest import World, build_world, declare, sheet_for
from tests.evaluation.test_score_secrecy import lot_routes
from tests.support.clients import Client, bearer
from tests.trading.projects.test_drafts import lot_body, project_body
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

HTML = {"Accept": "text/html"}


@pytest.fixture
async def anon_world(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> World:
    built = await build_world(rt, clock, publish_lot, bid)
    await mark_anonymous(rt, built.lot_id)
    return built


def api(world: World, rest: str = "") -> str:
    return f"/api/v1/expert/lots/{world.lot_id}{rest}"


def by_letter(world: World, n: int, ids: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Expert n's sheet of the scoring tests, addressed by letter."""
    to_letter = {b: x for x, b in ids.items()}
    q, s = sheet_for(world, n)
    return {to_letter[k]: v for k, v in q.items()}, {to_letter[k]: v for k, v in s.items()}


def assert_clean(text: str, found: Any, bid_ids: list[str], *, html: bool = False) -> None:
    for secret in (*found.names, *found.usccs, *found.prices):
        assert secret not in text, secret
    for bid_id in bid_ids:  # never as a JSON key or value, a field name or a data attribute
        json_id = () if html else (f'"{bid_id}"', f'"bid_id":{bid_id}')
        for pattern in (*json_id, f"-{bid_id}-", f'q-{bid_id}"', f"d-{bid_id}/", f'"{bid_id}/'):
            assert pattern not in text, pattern
        if html:
            assert f'data-bid="{bid_id}"' not in text and f'value="{bid_id}"' not in text


async def test_expert_sees_letters_only_until_finalised(
    client: Client,
    rt: Runtime,
    clock: FixedClock,
    anon_world: World,
) -> None:
    world = anon_world
    await declare_all(rt, world, clock)
    found = await secrets_of(rt, world)
    ids = await letters(rt, world)
    bid_ids = sorted(ids.values(), key=int)
    assert sorted(ids) == ["A", "B", "C", "D"][: len(bid_ids)] and len(bid_ids) >= 3
    heads = [await bearer(client, name) for name in world.usernames]

    # JSON: letters, no price, no price form, for every member; the same letters for all.
    seen = set()
    for head in heads:
        r = await client.get(api(world), headers=head)
        assert r.status_code == 200
        assert_clean(r.text, found, bid_ids)
        bids = r.json()["bids"]
        assert {b["bid_id"] for b in bids} == set(ids)
        assert {b["bidder"] for b in bids} == {f"投标人{x}" for x in ids}
        assert all(b["price"] == "" and b["price_form"] == {} for b in bids)
        seen.add(tuple(sorted((b["bid_id"], b["bidder"]) for b in bids)))
    assert len(seen) == 1

    # Scoring by letter works; a bid id on a masked lot is no key (it would pair letter and id),
    # and a refusal names letters, never ids.
    q, s = by_letter(world, 1, ids)
    raw_id = {"qualification": {bid_ids[0]: {"pass": True}}}
    r = await client.post(api(world, "/sheet"), json=raw_id, headers=heads[1])
    assert r.status_code == 422
    assert_clean(r.text, found, bid_ids)
    r = await client.post(api(world, "/sheet"), json={"qualification": {"A": {"pass": True}},
                          "submit": True}, headers=heads[1])  # fmt: skip
    assert r.status_code == 422 and "qualification.B" in r.text
    assert_clean(r.text, found, bid_ids)
    for n, head in enumerate(heads):
        q, s = by_letter(world, n, ids)
        r = await client.post(api(world, "/sheet"), json={"qualification": q, "scores": s,
                              "submit": True}, headers=head)  # fmt: skip
        assert r.status_code == 200, r.text
        assert_clean(r.text, found, bid_ids)
        assert set(r.json()["sheet"]["scores"]) == set(ids)

    # The pages: letters in headings and field names, no price.
    await web_login(client, world.usernames[4])
    page = (await client.get(f"/expert/lots/{world.lot_id}", headers=HTML)).text
    assert 'id="anonymous"' in page
    assert_clean(page, found, bid_ids, html=True)
    assert set(re.findall(r'data-bid="([^"]+)"', page)) == set(ids)
    assert set(re.findall(r'name="q-([^"]+)"', page)) == set(ids)
    # The flagged deviation of seat 4, explained by letter through the page form.
    flagged = re.findall(r'name="d-([A-Z]+/tech)"', page)
    assert flagged == [f"{next(x for x, b in ids.items() if b == bid_ids[2])}/tech"]
    r = await client.post(
        f"/expert/lots/{world.lot_id}/deviations",
        data={"_csrf": csrf_of(page), f"d-{flagged[0]}": "缺少关键工序"},
        headers=HTML, follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    page = (await client.get(f"/expert/lots/{world.lot_id}", headers=HTML)).text
    assert "缺少关键工序" in page
    assert_clean(page, found, bid_ids, html=True)

    # Every expert route naming only the lot (the desk, clarifications, what comes next), as
    # page and as JSON: no name, USCC or price. (The public pages show them, as they must: that
    # is why the committee's views hide the ids and prices that pair with them.)
    for path in lot_routes(rt):
        if path.startswith(("/expert/", "/api/v1/expert/")):
            url = path.replace("{lot_id:int}", str(world.lot_id))
            r = await client.get(url, headers=HTML)
            if not r.headers.get("content-type", "").startswith("application/pdf"):
                assert_clean(r.text, found, bid_ids, html=True)

    # Finalised: the committee sees each letter beside its company (and prices again).
    r = await client.post(api(world, "/finalise"), headers=heads[0])
    assert r.status_code == 200, r.text
    bids = r.json()["bids"]
    names = {b["bid_id"]: b["bidder"] for b in bids}
    assert set(names) == set(bid_ids)
    for x, bid_id in ids.items():
        assert names[bid_id].startswith(f"投标人{x} · ")
    assert set(found.names) <= {n.split(" · ")[1] for n in names.values()}
    assert all(b["price"] for b in bids)


async def test_letters_drawn_once_when_two_declare_at_once(
    rt: Runtime,
    clock: FixedClock,
    anon_world: World,
) -> None:
    import asyncio

    world = anon_world
    await asyncio.gather(*(declare(rt, world, n, clock.now()) for n in range(3)))
    first = await letters(rt, world)
    await declare(rt, world, 3, clock.now())
    assert await letters(rt, world) == first and len(first) >= 3


async def test_the_flag_is_set_at_registration(
    client: Client, rt: Runtime, clock: FixedClock
) -> None:
    staff = await bearer(client, "staff-450100")
    body = project_body(clock.now(), lots=[{**lot_body(clock.now()), "anonymous_technical": True},
                                           lot_body(clock.now(), title="第二标段")])  # fmt: skip
    r = await client.post("/api/v1/projects", json=body, headers=staff)
    assert r.status_code == 201, r.text
    async with rt.sessionmaker() as session:
        lots = {x.title: x.anonymous_technical for x in await session.scalars(
            select(Lot).where(Lot.project_id == r.json()["id"]))}  # fmt: skip
    assert sorted(lots.values()) == [False, True]
    # The center's project form: the checkbox reads and writes the same flag.
    page = await client.get(f"/center/projects/{r.json()['id']}/edit", headers={**staff, **HTML})
    assert page.status_code == 200
    assert re.search(r'name="lots-0-anonymous_technical" checked', page.text)
    assert re.search(r'name="lots-1-anonymous_technical">', page.text)
    values = {"title": "x", "tenderer_uscc": body["tenderer_uscc"], "lot_count": "1",
              "lots-0-lot_title": "一", "lots-0-budget": "100", "lots-0-docs_issued_at":
              "2026-12-01T09:00", "lots-0-bid_deadline": "2026-12-30T09:00",
              "lots-0-anonymous_technical": "on", "category": "construction",
              "method": "open_tender"}  # fmt: skip
    read = forms.read(forms.posted(values), ZoneInfo("Asia/Shanghai"), "450100")
    assert read is not None and read.lots[0].anonymous_technical is True
    values.pop("lots-0-anonymous_technical")
    read = forms.read(forms.posted(values), ZoneInfo("Asia/Shanghai"), "450100")
    assert read is not None and read.lots[0].anonymous_technical is False
