"""The committee draw as a pure function: reproducible, conflict-free, replacements in order."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evaluation.experts.draw import (
    Demand,
    DrawError,
    PoolEntry,
    committee,
    draw,
    pool_digest,
    rerun,
    ticket,
)

SEED = bytes(range(32))
POOL = [
    PoolEntry(
        f"E{i:04d}", ("A01",) if i % 3 else ("A01", "B02"), "employer: bidder" if i == 4 else ""
    )
    for i in range(1, 31)
]
DEMAND = [Demand("B02", 2), Demand("A01", 3)]


def document(**changes: Any) -> dict[str, Any]:
    doc = {
        "pool": [e.as_json() for e in POOL],
        "pool_digest": pool_digest(POOL),
        "demand": [{"specialty": d.specialty, "count": d.count} for d in DEMAND],
        "seed": SEED.hex(),
        "seed_sha256": hashlib.sha256(SEED).hexdigest(),
        "declined": [],
    }
    return {**doc, **changes}


def test_same_seed_and_pool_give_the_same_committee_by_lowest_tickets() -> None:
    first = committee(draw(POOL, DEMAND, SEED))
    assert first == committee(draw(list(reversed(POOL)), DEMAND, SEED))  # order-free
    assert [p.specialty for p in first] == ["B02", "B02", "A01", "A01", "A01"]
    # By hand: the two lowest tickets among B02 experts, then the three lowest of the rest.
    eligible = [e for e in POOL if not e.excluded]
    b02 = sorted(
        (e for e in eligible if "B02" in e.specialties), key=lambda e: ticket(SEED, e.code)
    )
    rest = sorted((e for e in eligible if e.code not in {b.code for b in b02[:2]}),
                  key=lambda e: ticket(SEED, e.code))  # fmt: skip
    assert [p.code for p in first] == [e.code for e in b02[:2]] + [e.code for e in rest[:3]]
    other = committee(draw(POOL, DEMAND, hashlib.sha256(b"another").digest()))
    assert {p.code for p in other} != {p.code for p in first}


def test_an_excluded_expert_is_never_drawn_whatever_the_seed() -> None:
    for n in range(200):
        seed = hashlib.sha256(n.to_bytes(2, "big")).digest()
        assert "E0004" not in {p.code for p in draw(POOL, DEMAND, seed)}


def test_a_decline_seats_the_next_ticket_and_keeps_the_rest() -> None:
    before = committee(draw(POOL, DEMAND, SEED))
    gone = before[3].code
    picks = draw(POOL, DEMAND, SEED, {gone: "出差无法参加"})
    after = committee(picks)
    assert gone not in {p.code for p in after} and len(after) == 5
    assert [p.code for p in after if p.code != gone][:3] == [p.code for p in before[:3]]
    assert next(p for p in picks if p.code == gone).declined == "出差无法参加"


def test_a_specialty_that_runs_out_is_refused() -> None:
    with pytest.raises(DrawError, match="B02"):
        draw(POOL, [Demand("B02", 11)], SEED)  # 10 B02 experts, one excluded


def test_the_published_document_reruns_and_is_checked() -> None:
    out = rerun(json.loads(json.dumps(document())))
    assert out["committee"] == [p.code for p in committee(draw(POOL, DEMAND, SEED))]
    with pytest.raises(DrawError, match="pool_digest"):
        rerun(document(pool_digest="0" * 64))
    with pytest.raises(DrawError, match="seed_sha256"):
        rerun(document(seed_sha256="0" * 64))
    with pytest.raises(DrawError, match=r"pool\[0\]\.code"):
        rerun(document(pool=[{"code": "e1", "specialties": ["A01"]}], pool_digest=None))
    with pytest.raises(DrawError, match="declined"):
        rerun(document(declined=[{"code": "E0001", "reason": " "}]))
    with pytest.raises(DrawError, match="seed"):
        rerun(document(seed="xyz"))


def test_the_cli_reruns_a_published_draw_and_refuses_a_forged_one(tmp_path: Path) -> None:
    good = tmp_path / "draw.json"
    good.write_text(json.dumps({"lot_id": 1, "document": document()}), encoding="utf-8")
    out = bidhall_cli("evaluate", "draw", str(good))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["committee"] == [
        p.code for p in committee(draw(POOL, DEMAND, SEED))
    ]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document(seed="ab" * 32)), encoding="utf-8")
    out = bidhall_cli("evaluate", "draw", str(forged))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "seed_sha256" in out.stderr


def bidhall_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bidhall.cli", *args], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
