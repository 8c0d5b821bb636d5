"""The portal's channels and lists as the public gets them: totals and pages that reach every
row (no silent cap), filters (region subtree, category, dates, literal wildcards, winning
bidder), sandbox projects and drafts never listed, and the Atom feed of a channel."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from bidhall.demo import register
from tests.conftest import construction_plan
from tests.support.clients import Client
from tests.trading.centers.conftest import award_all, open_all
from trading.announcements.models import AnnouncementKind
from trading.announcements.service import announce
from trading.enums import Category
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

HTML = {"Accept": "text/html"}
ZONE = ZoneInfo("Asia/Shanghai")  # the platform's zone in the tests' settings
ATOM = "{http://www.w3.org/2005/Atom}"
LOT_ROW = re.compile(r'<tr data-lot-id="(\d+)"')
ANN_ROW = re.compile(r'<tr data-announcement-id="(\d+)"')


def total(html: str) -> int:
    found = re.search(r'data-total="(\d+)"', html)
    assert found, "no total shown"
    return int(found[1])


async def walk(client: Client, path: str, pattern: re.Pattern[str]) -> tuple[list[int], int]:
    """Follow rel=next from `path` to the end: every id listed, and the pages visited."""
    seen: list[int] = []
    pages = 0
    url: str | None = path
    while url is not None:
        r = await client.get(url, headers=HTML)
        assert r.status_code == 200, (url, r.text[:500])
        pages += 1
        seen += [int(i) for i in pattern.findall(r.text)]
        nxt = re.search(r'<a rel="next" href="([^"]+)"', r.text)
        url = nxt[1].replace("&amp;", "&") if nxt else None
        assert pages < 100, "paging does not end"
    return seen, pages


async def announce_now(
    rt: Runtime, lot: Lot, kind: AnnouncementKind, title: str, *, publish: bool = True
) -> int:
    async with rt.sessionmaker() as session, writing(session):
        row = announce(
            session,
            project_id=lot.project_id,
            lot_id=lot.id,
            kind=kind,
            title=title,
            at=rt.clock.now(),
            publish=publish,
        )
        await session.flush()
        return row.id


async def test_250_lots_page_with_totals_and_every_lot_is_reachable(
    client: Client, publish_lot: Any
) -> None:
    lots = [await publish_lot(title=f"批量工程{n:03d}") for n in range(250)]
    ids = {lot.id for lot in lots}

    first = await client.get("/", headers=HTML)
    assert total(first.text) == 250 and "共 250 条" in first.text and "第 1/13 页" in first.text
    seen, pages = await walk(client, "/", LOT_ROW)
    assert pages == 13 and len(seen) == 250 and set(seen) == ids  # each once, none cut off
    last = await client.get("/?page=13", headers=HTML)
    assert len(LOT_ROW.findall(last.text)) == 10 and 'rel="next"' not in last.text
    assert 'rel="prev" href="/?page=12"' in last.text
    big, big_pages = await walk(client, "/?size=100", LOT_ROW)
    assert big_pages == 3 and set(big) == ids

    # Their tender announcements: the same in the tender channel, with its total.
    channel = "/announcements?kind=tender"
    r = await client.get(channel, headers=HTML)
    assert total(r.text) == 250
    listed, ann_pages = await walk(client, channel, ANN_ROW)
    assert ann_pages == 13 and len(set(listed)) == 250
    assert total((await client.get("/announcements?kind=result", headers=HTML)).text) == 0


async def test_filters_region_category_dates_and_literal_wildcards(
    client: Client, clock: FixedClock, publish_lot: Any
) -> None:
    percent = await publish_lot(title="完成率100%改造工程")
    underscore = await publish_lot(title="A_B标准化厂房")
    plain = await publish_lot(title="普通道路工程")
    county = await publish_lot(title="县城供水工程", center="450102")
    liuzhou = await publish_lot(
        title="柳州采购项目", center="450200", category=Category.PROCUREMENT
    )
    clock.advance(timedelta(days=3))
    later = await publish_lot(title="三天后发布的工程")

    async def lot_ids(query: str) -> set[int]:
        r = await client.get("/?" + query, headers=HTML)
        assert r.status_code == 200, r.text[:300]
        return {int(i) for i in LOT_ROW.findall(r.text)}

    async def titles(query: str) -> str:
        r = await client.get("/announcements?" + query, headers=HTML)
        assert r.status_code == 200
        return r.text

    # `%` and `_` match themselves, not everything.
    assert await lot_ids("q=%25") == {percent.id}
    assert await lot_ids("q=_") == {underscore.id}
    assert await lot_ids("q=A%25B") == set()
    assert "完成率100%改造工程" in await titles("q=%25") and "普通道路工程" not in await titles(
        "q=%25"
    )
    assert total(await titles("q=_")) == 1
    # A region is a center and its subtree.
    assert await lot_ids("center=450100") == {
        percent.id,
        underscore.id,
        plain.id,
        county.id,
        later.id,
    }
    assert await lot_ids("center=450102") == {county.id}
    assert await lot_ids("center=450200") == {liuzhou.id}
    assert await lot_ids("category=procurement") == {liuzhou.id}
    assert total(await titles("category=procurement")) == 1
    # Dates are days in the platform's zone: announcements by publication, lots by deadline.
    day0 = (clock.now() - timedelta(days=3)).astimezone(ZONE).strftime("%Y-%m-%d")
    day3 = clock.now().astimezone(ZONE).strftime("%Y-%m-%d")
    assert total(await titles(f"from={day3}")) == 1 and "三天后发布的工程" in await titles(
        f"from={day3}"
    )
    assert total(await titles(f"to={day0}")) == 5
    assert total(await titles(f"from={day0}&to={day0}")) == 5
    deadline_day = later.bid_deadline.astimezone(ZONE).strftime("%Y-%m-%d")
    assert await lot_ids(f"from={deadline_day}") == {later.id}
    # A malformed date or a reversed range: the form says so next to the field, nothing listed.
    bad = await client.get("/announcements?from=2026-13-01", headers=HTML)
    assert bad.status_code == 400 and 'id="error-from"' in bad.text and "年-月-日" in bad.text
    reversed_range = await client.get(f"/?from={day3}&to={day0}", headers=HTML)
    assert reversed_range.status_code == 400 and 'id="error-to"' in reversed_range.text
    assert not LOT_ROW.findall(reversed_range.text)


async def test_winning_bidder_filter_finds_result_announcements_and_awarded_lots(
    client: Client, rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    won = await publish_lot(title="中标测试工程")
    other = await publish_lot(title="未定标工程")
    await bid(won)
    await open_all(rt, clock, [won])
    await award_all(rt, clock, [(won, "450100")])
    # bidder-2 (南宁建工集团有限责任公司) offered the lowest price.
    lots = await client.get("/?winner=南宁建工", headers=HTML)
    assert {int(i) for i in LOT_ROW.findall(lots.text)} == {won.id}
    assert other.id not in {int(i) for i in LOT_ROW.findall(lots.text)}
    results = await client.get("/announcements?winner=南宁建工", headers=HTML)
    assert total(results.text) >= 1
    assert "中标结果公告" in results.text and "招标公告</span>" not in results.text
    assert total((await client.get("/announcements?winner=柳州市政", headers=HTML)).text) == 0
    assert LOT_ROW.findall((await client.get("/?winner=%25", headers=HTML)).text) == []


async def test_sandbox_and_drafts_are_never_listed(
    client: Client, rt: Runtime, clock: FixedClock, publish_lot: Any
) -> None:
    real = await publish_lot(title="正式工程")
    sandbox = await publish_lot(title="演练工程", sandbox=True)
    draft_id = await register(
        rt, construction_plan(title="草稿工程"), issued=clock.now(), deadline=real.bid_deadline
    )
    assert draft_id
    await announce_now(rt, real, AnnouncementKind.AMENDMENT, "尚未发布的变更", publish=False)
    await announce_now(rt, sandbox, AnnouncementKind.AMENDMENT, "演练变更公告")
    shown = await announce_now(rt, real, AnnouncementKind.AMENDMENT, "已发布的变更公告")

    for path in ("/", "/?q=工程", "/announcements", "/announcements?kind=amendment"):
        text = (await client.get(path, headers=HTML)).text
        assert "演练工程" not in text and "演练变更公告" not in text, path
        assert "草稿工程" not in text and "尚未发布的变更" not in text, path
    home = (await client.get("/", headers=HTML)).text
    assert "正式工程" in home and f'href="/announcements/{shown}"' in home
    channel = (await client.get("/announcements?kind=amendment", headers=HTML)).text
    assert total(channel) == 1 and "已发布的变更公告" in channel
    # The sandbox lot's own page still opens, marked as such.
    page = await client.get(f"/lots/{sandbox.id}", headers=HTML)
    assert page.status_code == 200 and 'class="tag sandbox"' in page.text


async def test_the_atom_feed_lists_the_channels_published_announcements(
    client: Client, rt: Runtime, publish_lot: Any
) -> None:
    lot = await publish_lot(title="订阅测试工程")
    sandbox = await publish_lot(title="演练订阅工程", sandbox=True)
    published = await announce_now(rt, lot, AnnouncementKind.AMENDMENT, "变更<一>&二")
    await announce_now(rt, lot, AnnouncementKind.AMENDMENT, "草稿变更", publish=False)
    await announce_now(rt, sandbox, AnnouncementKind.AMENDMENT, "演练变更")

    r = await client.get("/announcements/feed.atom?kind=amendment&category=construction")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{tag}") or "").strip(), tag
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["变更<一>&二"]
    entry = entries[0]
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(f"/announcements/{published}")
    assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}published", "").endswith("Z")
    assert entry.findtext(f"{ATOM}updated")

    tenders = ET.fromstring(
        (await client.get("/announcements/feed.atom?kind=tender")).content
    ).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in tenders] and all(
        "演练" not in (e.findtext(f"{ATOM}title") or "") for e in tenders
    )
    assert not ET.fromstring(
        (await client.get("/announcements/feed.atom?kind=result")).content
    ).findall(f"{ATOM}entry")
    assert (await client.get("/announcements/feed.atom?kind=nope")).status_code == 404
    assert (await client.get("/announcements?kind=nope", headers=HTML)).status_code == 404
    # The channel page points at its feed.
    page = await client.get("/announcements?kind=amendment", headers=HTML)
    assert 'href="/announcements/feed.atom?kind=amendment"' in page.text
