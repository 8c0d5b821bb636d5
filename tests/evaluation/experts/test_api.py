"""The expert pool and committee JSON API through the test client: CSV in (all or nothing, every
row error in the 422) and out, the draw and a decline, what each caller reads of the committee
before and after the award, and the refusals (wrong role, another center's staff, anonymous)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select

from evaluation.experts.draw import rerun
from evaluation.experts.models import Committee, CommitteeMember, Expert
from tests.evaluation.experts.test_pool_and_committee import HEADER, pool_csv
from tests.support.clients import Client, bearer
from trading.auth.models import User
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

CSV = {"content-type": "text/csv; charset=utf-8"}
POOL = "/api/v1/centers/450100/experts"
DRAW = {"demand": [{"specialty": "B02", "count": 2}, {"specialty": "A01", "count": 3}]}
COMMITMENT = {
    "lot_id", "seed_sha256", "pool_digest", "pool_size", "demand", "representatives", "drawn_at",
}  # fmt: skip


async def count(rt: Runtime, model: type) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def imported(client: Client, n: int = 12) -> dict[str, str]:
    staff = await bearer(client, "staff-450100")
    r = await client.post(f"{POOL}/import", content=pool_csv(n), headers={**staff, **CSV})
    assert r.status_code == 200, r.text
    return staff


async def test_import_export_over_http_all_rows_or_none(rt: Runtime, client: Client) -> None:
    staff = await bearer(client, "staff-450100")
    users = await count(rt, User)
    bad = pool_csv(3).replace("E0002,", "e2,") + "E0001,重复,expert-9,A01,450100,单位,,,maybe,\n"
    r = await client.post(f"{POOL}/import", content=bad, headers={**staff, **CSV})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    errors = {(e["line"], e["field"]) for e in r.json()["errors"]}
    assert {(3, "code"), (5, "code"), (5, "active")} <= errors
    assert all(set(e) == {"line", "field", "why"} and e["why"] for e in r.json()["errors"])
    assert await count(rt, Expert) == 0 and await count(rt, User) == users  # nothing written

    # Not UTF-8: refused, nothing written.
    r = await client.post(
        f"{POOL}/import", content=pool_csv(2).encode("gbk"), headers={**staff, **CSV}
    )
    assert r.status_code == 422 and await count(rt, Expert) == 0

    text = pool_csv(12)
    r = await client.post(f"{POOL}/import", content=text, headers={**staff, **CSV})
    assert r.status_code == 200 and r.json() == {"created": 12, "updated": 0}
    r = await client.get(f"{POOL}/export.csv", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text == text  # the export is the import's own format
    r = await client.post(f"{POOL}/import", content=r.text, headers={**staff, **CSV})
    assert r.json() == {"created": 0, "updated": 12}


async def test_pool_routes_refuse_others(rt: Runtime, client: Client) -> None:
    await imported(client, 3)
    for who, status in (
        (None, 401), ("bidder-1", 403), ("supervisor-450100", 403), ("tenderer-1", 403),
        ("staff-450200", 403), ("staff-450000", 403), ("staff-450102", 403),
    ):  # fmt: skip
        headers = await bearer(client, who) if who else {}
        r = await client.get(f"{POOL}/export.csv", headers=headers)
        assert r.status_code == status, (who, r.text)
        assert "E0001" not in r.text and "1380000" not in r.text
        # Another center's staff is refused before the body is read: a bad CSV is a 403 too.
        for body in (HEADER + "E0100,某人,someone,A01,450100,单位,,,1,\n", "garbage"):
            r = await client.post(f"{POOL}/import", content=body, headers={**headers, **CSV})
            assert r.status_code == status, (who, r.text)
    assert await count(rt, Expert) == 3
    r = await client.get(
        "/api/v1/centers/999999/experts/export.csv", headers=await imported(client, 3)
    )
    assert r.status_code == 404


async def test_draw_decline_and_what_each_caller_reads(
    rt: Runtime, client: Client, publish_lot: Any
) -> None:
    staff = await imported(client)
    lot: Lot = await publish_lot()
    path = f"/api/v1/lots/{lot.id}/committee"
    r = await client.get(path, headers=staff)
    assert r.status_code == 404  # nothing drawn yet

    # Composition by the ruleset, with its citation: 3 experts of 5 is less than 2/3.
    r = await client.post(
        path, json={"demand": [{"specialty": "A01", "count": 3}], "representatives": 2},
        headers=staff,
    )  # fmt: skip
    assert r.status_code == 422 and "三分之二" in r.json()["detail"]
    assert r.json()["citation"] == "招标投标法 第37条"
    r = await client.post(path, json={"demand": [{"specialty": "A01", "count": 3}]}, headers=staff)
    assert r.status_code == 422 and "第37条" in r.json()["detail"]
    # The pool too small for a specialty: a conflict, nothing written.
    r = await client.post(path, json={"demand": [{"specialty": "B02", "count": 7}]}, headers=staff)
    assert r.status_code == 409 and "B02" in r.json()["detail"]
    assert await count(rt, Committee) == 0

    # Refused: anonymous, a bidder, a supervisor, the tenderer, another center's staff.
    for who, status in (
        (None, 401), ("bidder-1", 403), ("supervisor-450100", 403), ("tenderer-1", 403),
        ("staff-450200", 403),
    ):  # fmt: skip
        headers = await bearer(client, who) if who else {}
        r = await client.post(path, json=DRAW, headers=headers)
        assert r.status_code == status, (who, r.text)
    assert await count(rt, Committee) == 0

    r = await client.post(path, json=DRAW, headers=staff)
    assert r.status_code == 201, r.text
    drawn = r.json()
    seated = [m["code"] for m in drawn["members"] if not m["declined"]]
    assert len(seated) == 5 and all(m["name"].startswith("专家") for m in drawn["members"])
    assert "seed" not in drawn and "document" not in drawn  # not even staff see the seed
    r = await client.post(path, json=DRAW, headers=staff)
    assert r.status_code == 409  # one committee per lot

    # Before the award: the commitment, no names, no codes, no seed — for everyone but staff.
    for who in (None, "bidder-1", "tenderer-1", "staff-450200", "supervisor-450100"):
        headers = await bearer(client, who) if who else {}
        r = await client.get(path, headers=headers)
        assert r.status_code == 200 and set(r.json()) == COMMITMENT, who
        assert r.json()["seed_sha256"] == drawn["seed_sha256"]
        assert not any(code in r.text for code in seated) and "专家" not in r.text

    # A decline: the reason is required; refused callers change nothing.
    for who, status in ((None, 401), ("bidder-1", 403), ("staff-450200", 403)):
        headers = await bearer(client, who) if who else {}
        r = await client.post(
            f"{path}/declines", json={"code": seated[0], "reason": "临时出差"}, headers=headers
        )
        assert r.status_code == status, (who, r.text)
    r = await client.post(
        f"{path}/declines", json={"code": seated[0], "reason": "  "}, headers=staff
    )
    assert r.status_code == 422
    r = await client.post(
        f"{path}/declines", json={"code": "E9999", "reason": "不在委员会"}, headers=staff
    )
    assert r.status_code == 404
    assert await count(rt, CommitteeMember) == 5
    r = await client.post(
        f"{path}/declines", json={"code": seated[0], "reason": "临时出差"}, headers=staff
    )
    assert r.status_code == 200, r.text
    now_seated = r.json()["seated"]
    assert seated[0] not in now_seated and len(now_seated) == 5
    assert set(now_seated) - set(seated)  # the replacement, the next ticket
    mine = (await client.get(path, headers=staff)).json()
    assert {m["code"]: m["declined"] for m in mine["members"]}[seated[0]] == "临时出差"

    # After the award (as the award flow leaves the lot): the document, names and the seed.
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            Lot.__table__.update().where(Lot.id == lot.id).values(state="awarded")
        )
    r = await client.get(path)
    assert r.status_code == 200
    after = r.json()
    assert (
        hashlib.sha256(bytes.fromhex(after["document"]["seed"])).hexdigest()
        == (drawn["seed_sha256"])
    )
    assert rerun(after["document"])["committee"] == now_seated
    assert {m["code"] for m in after["members"]} >= set(now_seated)
    # No more changes once awarded.
    r = await client.post(
        f"{path}/declines", json={"code": now_seated[0], "reason": "定标之后"}, headers=staff
    )
    assert r.status_code == 409
