"""Centers as a tree of division codes: adding, per-center rules (audited), the CLI, the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support.clients import Client
from trading.audit.models import AuditEntry
from trading.centers import service as centers
from trading.centers.models import Center
from trading.kernel.actor import SYSTEM
from trading.kernel.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from trading.kernel.runtime import Runtime


async def count_centers(rt: Runtime) -> tuple[int, int]:
    async with rt.sessionmaker() as session:
        n = await session.scalar(select(func.count(Center.id)))
        a = await session.scalar(select(func.count()).select_from(AuditEntry))
    return n or 0, a or 0


async def add(rt: Runtime, code: str, **kw: Any) -> Center:
    async with rt.sessionmaker() as session:
        return await centers.add_center(
            session, SYSTEM, code=code, name=kw.pop("name", f"中心{code}"), now=rt.clock.now(), **kw
        )


async def parent_of(rt: Runtime, code: str) -> str | None:
    async with rt.sessionmaker() as session:
        center = await centers.center_by_code(session, code)
        if center.parent_id is None:
            return None
        parent = await session.get(Center, center.parent_id)
        assert parent is not None
        return parent.code


async def test_a_new_county_hangs_under_its_city(rt: Runtime) -> None:
    center = await add(rt, "450103", timezone="Asia/Shanghai")
    assert center.level == "county" and await parent_of(rt, "450103") == "450100"
    async with rt.sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "center.add").order_by(AuditEntry.seq)
        )
    assert entry is not None and json.loads(entry.body)["detail"]["parent"] == "450100"


async def test_centers_follow_the_division_tree_as_they_are_added(rt: Runtime) -> None:
    # Hainan: a county first (no center above it yet), then the province, then the city.
    await add(rt, "460105")
    assert await parent_of(rt, "460105") is None
    await add(rt, "460000")
    assert await parent_of(rt, "460105") == "460000"  # adopted by the new province
    await add(rt, "460100")
    assert await parent_of(rt, "460100") == "460000"
    assert await parent_of(rt, "460105") == "460100"  # and handed on to its city


@pytest.mark.parametrize(
    ("code", "kw", "error", "needle"),
    [
        ("4501", {}, ValidationFailed, "6"),
        ("990100", {}, ValidationFailed, "province"),
        ("450012", {}, ValidationFailed, "county"),
        ("450100", {}, Conflict, "exists"),
        ("450103", {"parent_code": "450200"}, ValidationFailed, "not above"),
        ("450103", {"parent_code": "450000"}, ValidationFailed, "nearest"),
        ("450103", {"parent_code": "450300"}, ValidationFailed, "not found"),
        ("460000", {"parent_code": "450000"}, ValidationFailed, "not above"),
        ("450103", {"timezone": "Mars/Olympus"}, ValidationFailed, "time zone"),
        ("450103", {"name": "  "}, ValidationFailed, "name"),
    ],
)
async def test_bad_centers_are_refused_and_nothing_written(
    rt: Runtime, code: str, kw: dict[str, Any], error: type[Exception], needle: str
) -> None:
    before = await count_centers(rt)
    with pytest.raises(error, match=needle):
        await add(rt, code, **kw)
    assert await count_centers(rt) == before


async def set_rule(rt: Runtime, code: str, rule: str, value: str) -> dict[str, object]:
    async with rt.sessionmaker() as session:
        return await centers.set_rule(session, SYSTEM, code, rule, value, now=rt.clock.now())


async def test_rule_override_applies_to_its_center_only_and_is_audited(
    rt: Runtime, publish_lot: Any
) -> None:
    result = await set_rule(rt, "450100", "bid_period_days", "25")
    assert result == {"center": "450100", "rule": "bid_period_days", "before": None, "after": "25"}
    # The standard lot has 21 days between issue and deadline: enough by law, not for 450100.
    with pytest.raises(RuleViolation) as refused:
        await publish_lot(center="450100")
    rules = [v["rule"] for v in refused.value.detail["violations"]]  # type: ignore[union-attr]
    assert rules == ["bid_period_days"]
    assert (await publish_lot(center="450200")).opening_pub
    # A rule only some rulesets have (property listings) does not break a construction lot.
    await set_rule(rt, "450200", "relisting_floor_percent", "95.5")
    assert (await publish_lot(center="450200", title="另一项目")).opening_pub
    # Back to the statutory value.
    result = await set_rule(rt, "450100", "bid_period_days", "default")
    assert result["before"] == "25" and result["after"] is None
    assert (await publish_lot(center="450100")).opening_pub
    async with rt.sessionmaker() as session:
        bodies = [
            json.loads(e.body)["detail"]
            for e in await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "center.rule_override")
                .order_by(AuditEntry.seq)
            )
        ]
    assert [(d["rule"], d["before"], d["after"]) for d in bodies] == [
        ("bid_period_days", None, "25"),
        ("relisting_floor_percent", None, "95.5"),
        ("bid_period_days", "25", None),
    ]
    assert bodies[0]["statutory"] == ["20"] and len(bodies[0]["rulesets"]) == 4


@pytest.mark.parametrize(
    ("code", "rule", "value", "error", "needle"),
    [
        ("450100", "bid_period_days", "2.5", ValidationFailed, "whole"),
        ("450100", "bid_period_days", "-1", ValidationFailed, "negative"),
        ("450100", "bid_period_days", "NaN", ValidationFailed, "finite"),
        ("450100", "bid_period_days", "twenty", ValidationFailed, "not a number"),
        ("450100", "no_such_rule", "3", ValidationFailed, "no ruleset"),
        ("450300", "bid_period_days", "25", NotFound, "450300"),
        ("45010X", "bid_period_days", "25", ValidationFailed, "6 digits"),
    ],
)
async def test_bad_rule_overrides_change_nothing(
    rt: Runtime, code: str, rule: str, value: str, error: type[Exception], needle: str
) -> None:
    before = await count_centers(rt)
    with pytest.raises(error, match=needle):
        await set_rule(rt, code, rule, value)
    assert await count_centers(rt) == before
    async with rt.sessionmaker() as session:
        center = await centers.center_by_code(session, "450100")
    assert center.rule_overrides == {}


def bidhall(rt: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BIDHALL_DATABASE_URL": rt.settings.database_url,
        "BIDHALL_KEY_DIR": str(rt.settings.key_dir),
        "BIDHALL_BLOB_DIR": str(rt.settings.blob_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "bidhall.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_cli_adds_sets_and_lists(rt: Runtime) -> None:
    await rt.engine.dispose()  # let the CLI process write to SQLite freely
    ok = bidhall(
        rt, "center", "add", "450103", "南宁市青秀区公共资源交易中心", "--name-en", "Qingxiu"
    )
    assert ok.returncode == 0, ok.stderr
    assert "450103" in ok.stdout and "county" in ok.stdout
    bad = bidhall(rt, "center", "add", "450199x", "坏代码")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "6 digits" in bad.stderr
    rule = bidhall(rt, "center", "set-rule", "450103", "publicity_days", "5")
    assert rule.returncode == 0 and "statutory → 5" in rule.stdout
    bad = bidhall(rt, "center", "set-rule", "450103", "publicity_days", "5.5")
    assert bad.returncode == 2 and "whole" in bad.stderr
    listing = bidhall(rt, "center", "list")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].startswith("450000 ")
    assert any(line.startswith("    450103 ") and "publicity_days=5" in line for line in lines)
    assert await count_centers(rt) >= (5, 0)


async def test_centers_api_tree_and_detail(client: Client, publish_lot: Any) -> None:
    await publish_lot(center="450102")
    await publish_lot(center="450100")
    r = await client.get("/api/v1/centers")
    assert r.status_code == 200
    tree = {row["code"]: row for row in r.json()}
    assert [row["code"] for row in r.json()] == ["450000", "450100", "450102", "450200"]
    assert tree["450102"]["parent"] == "450100" and tree["450100"]["parent"] == "450000"
    assert (tree["450100"]["lots"], tree["450100"]["lots_subtree"]) == (1, 2)
    assert (tree["450000"]["lots"], tree["450000"]["lots_subtree"]) == (0, 2)
    r = await client.get("/api/v1/centers/450100")
    detail = r.json()
    assert detail["ancestors"] == ["450000"]
    assert [c["code"] for c in detail["children"]] == ["450102"]
    assert detail["stats_self"]["scope"] == "self" and detail["stats_subtree"]["scope"] == "subtree"
    for path, status in [("/api/v1/centers/450300", 404), ("/api/v1/centers/45", 422)]:
        r = await client.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith(
            "application/problem+json"
        )


async def test_top_level_page_lists_every_center(client: Client) -> None:
    r = await client.get("/centers", headers={"accept": "text/html"})
    assert r.status_code == 200
    for code in ("450000", "450100", "450102", "450200"):
        assert f'data-center="{code}"' in r.text
    assert (await client.get("/centers/450300", headers={"accept": "text/html"})).status_code == 404


async def test_center_page_times_in_the_centers_own_zone(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    async with rt.sessionmaker() as session:
        liuzhou = await centers.center_by_code(session, "450200")
        liuzhou.timezone = "Asia/Urumqi"  # UTC+6, two hours behind Shanghai
        await session.commit()
    nanning_lot = await publish_lot(center="450100", title="南宁开标")
    liuzhou_lot = await publish_lot(center="450200", title="柳州开标")
    # Both open at 2026-03-23 01:00 UTC: 09:00 in Shanghai, 07:00 in Urumqi.
    assert nanning_lot.bid_deadline == liuzhou_lot.bid_deadline
    html = {"accept": "text/html"}
    # 2026-03-22 17:30 UTC: already the 23rd in Shanghai, still the 22nd in Urumqi.
    rt.clock.set(nanning_lot.bid_deadline - timedelta(hours=7, minutes=30))  # type: ignore[attr-defined]
    nanning = (await client.get("/centers/450100", headers=html)).text
    liuzhou_page = (await client.get("/centers/450200", headers=html)).text
    today = nanning.split('id="today"')[1].split("</table>")[0]
    assert f'data-lot-id="{nanning_lot.id}"' in today and "09:00" in today
    today = liuzhou_page.split('id="today"')[1].split("</table>")[0]
    assert f'data-lot-id="{liuzhou_lot.id}"' not in today
    assert "2026-03-23 07:00" in liuzhou_page and "Asia/Urumqi" in liuzhou_page
    # Two hours later it is the 23rd in Urumqi too.
    rt.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    liuzhou_page = (await client.get("/centers/450200", headers=html)).text
    today = liuzhou_page.split('id="today"')[1].split("</table>")[0]
    assert f'data-lot-id="{liuzhou_lot.id}"' in today and "07:00" in today
