"""The evaluation report through the service: built when the chair finalises, with everything
the law asks of it; each member signs it with their registered key (dissent inside what they
sign); forged, replayed, stale and repeated signatures refused; the ranking inside it is the
one the award publishes, and `bidhall evaluate` recomputes it from the published document."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bidhall.demo.accounts import demo_user
from crypto.canonical import canonical_json, sha256_hex
from evaluation.award.service import (
    award_lot,
    evaluate_lot,
    latest_result,
    publish_candidates,
)
from evaluation.offline import evaluate_document
from evaluation.report import service as report
from evaluation.scoring import service as scoring
from evaluation.scoring import signed
from tests.evaluation.scoring.conftest import World, register_key, sign_statement
from tests.support.clients import Client, bearer
from trading.auth.service import actor_for
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict, NotFound, ValidationFailed
from trading.kernel.runtime import Runtime


class Statements:
    """What each seat signs for one report version (kept as plain values: a refused write
    rolls the session back and expires the ORM rows)."""

    def __init__(self, view: report.ReportView) -> None:
        r = view.report
        self.lot_id, self.version, self.sha256 = r.lot_id, r.version, r.sha256

    def __call__(self, position: int, dissent: str = "") -> dict[str, Any]:
        return signed.report_statement(self.lot_id, self.version, self.sha256, position, dissent)


async def test_the_report_holds_what_the_law_asks(
    rt: Runtime, clock: FixedClock, finalised: World
) -> None:
    world = finalised
    ids = sorted(world.bids.values(), key=int)
    async with rt.sessionmaker() as session:
        view, _ = await report.member_view(session, world.seats[2], world.lot_id)
    doc = view.report.document
    assert view.report.version == 1 and view.current and not view.complete
    assert view.report.sha256 == sha256_hex(canonical_json(doc))  # what gets signed
    assert [c["position"] for c in doc["committee"]] == [1, 2, 3, 4, 5]
    assert [c["chair"] for c in doc["committee"]] == [True, False, False, False, False]
    assert all(c["name"] and c["code"] for c in doc["committee"])
    # Every bid's qualification by every member, with reasons; the rejected bid with why.
    first = next(b for b in doc["bids"] if b["bid_id"] == ids[0])
    assert [q["pass"] for q in first["qualification"]] == [False, False, False, True, True]
    assert first["qualification"][0]["reason"] == "资质证书过期"
    assert [r["bid_id"] for r in doc["rejected"]] == [ids[0]]
    assert doc["rejected"][0]["reasons"]
    # Per-expert per-criterion scores with comments; candidates 1-3 ranked.
    third = next(b for b in doc["bids"] if b["bid_id"] == ids[2])
    assert [m["score"] for m in third["scores"]["tech"]] == ["36", "36", "36", "36", "20"]
    assert third["scores"]["tech"][4]["comment"] == f"seat4-secret-{ids[2]}"
    assert [c["rank"] for c in doc["candidates"]] == [1, 2, 3]
    assert ids[0] not in [c["bid_id"] for c in doc["candidates"]]
    # The deviation with its written reason, the member named by seat.
    assert doc["deviations"] == [
        {"bid_id": ids[2], "criterion_id": "tech", "position": 5, "score": "20",
         "mean": "32.80", "reason": "方案缺少关键工序"}
    ]  # fmt: skip
    assert doc["re_evaluation"] is None


async def test_members_sign_with_their_keys_and_forgeries_fail(
    rt: Runtime, clock: FixedClock, finalised: World
) -> None:
    world, lot_id, now = finalised, finalised.lot_id, clock.now()
    async with rt.sessionmaker() as session:
        view, _ = await report.member_view(session, world.seats[0], lot_id)
        statement, v = Statements(view), view.report.version
        # Another member's key, a statement for another seat, another version, a replay of
        # the declaration's signature: all refused, nothing recorded.
        with pytest.raises(ValidationFailed, match="signature"):
            await report.sign(session, world.seats[1], lot_id, v,
                              world.sign(2, statement(2)), now=now)  # fmt: skip
        with pytest.raises(ValidationFailed, match="signature"):
            await report.sign(session, world.seats[1], lot_id, v,
                              world.sign(1, statement(3)), now=now)  # fmt: skip
        with pytest.raises(Conflict):
            await report.sign(session, world.seats[1], lot_id, v + 1,
                              world.sign(1, statement(2)), now=now)  # fmt: skip
        seat = await scoring.seat(session, world.seats[1], lot_id)
        assert seat.sheet is not None and seat.sheet.declaration_signature
        with pytest.raises(ValidationFailed, match="signature"):
            await report.sign(session, world.seats[1], lot_id, v,
                              seat.sheet.declaration_signature, now=now)  # fmt: skip
        # The dissent is inside what is signed: a signature over another text fails.
        with pytest.raises(ValidationFailed, match="signature"):
            await report.sign(session, world.seats[3], lot_id, v,
                              world.sign(3, statement(4, "我同意")), "我不同意",
                              now=now)  # fmt: skip
        with pytest.raises(NotFound):  # not on this committee
            await report.sign(session, world.outsider, lot_id, v, "A" * 86, now=now)
        for n in range(5):
            dissent = "对第二名的技术评分有保留意见" if n == 3 else ""
            position = n + 1
            await report.sign(session, world.seats[n], lot_id, v,
                              world.sign(n, statement(position, dissent)), dissent,
                              now=now)  # fmt: skip
            if n == 0:
                with pytest.raises(Conflict, match="already"):
                    await report.sign(session, world.seats[0], lot_id, v,
                                      world.sign(0, statement(1)), now=now)  # fmt: skip
        done, _ = await report.member_view(session, world.seats[0], lot_id)
    assert done.complete
    assert [r.dissent for r in done.signatures] == ["", "", "", "对第二名的技术评分有保留意见", ""]
    assert all(r.key_id.startswith("ed25519:") and len(r.sign_pub_sha256) == 64
               for r in done.signatures)  # fmt: skip


async def test_a_rotated_key_cannot_sign_with_the_old_one(
    rt: Runtime, clock: FixedClock, finalised: World
) -> None:
    world = finalised
    fresh = await register_key(rt, world.seats[1], clock.now())  # revokes the old key
    async with rt.sessionmaker() as session:
        view, _ = await report.member_view(session, world.seats[1], world.lot_id)
        statement = Statements(view)
        with pytest.raises(ValidationFailed):
            await report.sign(session, world.seats[1], world.lot_id, 1,
                              world.sign(1, statement(2)), now=clock.now())  # fmt: skip
        await report.sign(session, world.seats[1], world.lot_id, 1,
                          sign_statement(fresh, statement(2)), now=clock.now())  # fmt: skip


async def test_the_published_document_recomputes_to_the_reports_ranking(
    rt: Runtime, clock: FixedClock, finalised: World, client: Client, bidhall: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    world = finalised
    staff = actor_for(await demo_user(rt, "staff-450100"))
    async with rt.sessionmaker() as session:
        await evaluate_lot(session, world.lot_id, staff, now=clock.now(), settings=rt.settings)
        result = await latest_result(session, world.lot_id)
        view, _ = await report.member_view(session, world.seats[0], world.lot_id)
        assert result is not None
        assert view.report.document["input_sha256"] == sha256_hex(canonical_json(result.input_doc))
        assert view.report.document["ranking"] == result.ranking
        await publish_candidates(
            session, world.lot_id, staff, now=clock.now(), settings=rt.settings
        )
    r = await client.get(f"/api/v1/lots/{world.lot_id}/evaluation")
    assert r.status_code == 200, r.text
    published = r.json()
    # In publicity the seats are listed without names (the committee is not yet public).
    assert published["committee"] == [{"position": n} for n in range(1, 6)]
    names = [c["name"] for c in view.report.document["committee"]]
    assert not any(name in r.text for name in names)
    path = tmp_path / "published.json"
    path.write_text(json.dumps(published["input"], ensure_ascii=False), encoding="utf-8")
    ran = await bidhall("evaluate", str(path))
    assert ran.code == 0, ran.err
    recomputed = json.loads(ran.out)
    assert recomputed == published["ranking"] == view.report.document["ranking"]
    assert evaluate_document(published["input"]) == recomputed
    # Per-expert scores are in it, in seat order.
    by_id = {b["bid_id"]: b for b in published["input"]["bids"]}
    ids = sorted(world.bids.values(), key=int)
    assert by_id[ids[2]]["technical_scores"]["tech"] == ["36", "36", "36", "36", "20"]
    # Readers of the report: members and the lot desk; not bidders, not the public.
    for who, code in (("bidder-1", 403), ("staff-450200", 403)):
        got = await client.get(
            f"/api/v1/lots/{world.lot_id}/evaluation/report", headers=await bearer(client, who)
        )
        assert got.status_code == code
    client.cookies.clear()
    assert (await client.get(f"/api/v1/lots/{world.lot_id}/evaluation/report")).status_code == 401
    got = await client.get(
        f"/api/v1/lots/{world.lot_id}/evaluation/report",
        headers=await bearer(client, "staff-450100"),
    )
    assert got.status_code == 200 and got.json()["statement"] is None
    assert got.json()["sha256"] == view.report.sha256
    # Once the result is published (awarded), the seats carry the experts' names.
    clock.advance(timedelta(days=30))
    async with rt.sessionmaker() as session:
        await award_lot(session, world.lot_id, staff, now=clock.now(), settings=rt.settings)
    awarded = (await client.get(f"/api/v1/lots/{world.lot_id}/evaluation")).json()
    assert [c["name"] for c in awarded["committee"]] == names
    assert awarded["input"] == published["input"] and awarded["ranking"] == recomputed
