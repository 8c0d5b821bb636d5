"""The tie-break seed is nobody's choice: SHA-256 over a fixed label and the canonical JSON of
the signed opening record, published with how it was derived, so that anyone recomputes the
seed from the record and `bidhall evaluate` reproduces the same order from the document."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bidding.opening.flows import run_opening
from bidding.queries import opening_record
from bidhall.demo import release_shares
from crypto.canonical import canonical_json
from tests.support.clients import Client, bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

SAME = {"bidder-1": "9000000.00", "bidder-2": "9000000.00", "bidder-3": "9000000.00"}
LABEL = b"bidhall/tie-break-seed/v1\n"  # as docs/evaluation.md publishes it


async def opened_tie(rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any) -> Lot:
    lot = await publish_lot(title="抽签测试工程")
    clock.advance(timedelta(days=1))
    await bid(lot, SAME)
    clock.set(lot.bid_deadline)
    await run_opening(rt, lot.id)
    clock.advance(timedelta(minutes=5))
    await release_shares(rt, lot.id, lambda _m: None)
    return lot


async def signed_record(rt: Runtime, lot_id: int) -> dict[str, Any]:
    async with rt.sessionmaker() as session:
        record = await opening_record(session, lot_id)
    assert record is not None and {"record", "signature", "key_id"} <= set(record)
    return record


async def evaluate_and_publish(client: Client, lot_id: int) -> dict[str, Any]:
    headers = await bearer(client, "staff-450100")
    # A seed in the request is no input: the route takes no body, the service derives the seed.
    r = await client.post(
        f"/api/v1/lots/{lot_id}/evaluate", json={"seed": "chosen"}, headers=headers
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/lots/{lot_id}/candidates", headers=headers)
    assert r.status_code == 200, r.text
    client.headers.pop("Authorization", None)
    r = await client.get(f"/api/v1/lots/{lot_id}/evaluation")  # public from the publicity on
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_tie_broken_by_the_seed_of_the_opening_record_recomputed_offline(
    rt: Runtime,
    client: Client,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    lot = await opened_tie(rt, clock, publish_lot, bid)
    published = await evaluate_and_publish(client, lot.id)
    doc, ranking = published["input"], published["ranking"]

    record = await signed_record(rt, lot.id)
    seed = hashlib.sha256(LABEL + canonical_json(record)).hexdigest()
    assert doc["params"]["seed"] == seed
    assert doc["seed_from"] == {
        "formula": "sha256(label ‖ canonical(opening record))",
        "label": LABEL.decode(),
        "opening_record_sha256": hashlib.sha256(canonical_json(record)).hexdigest(),
    }
    # All three tied on every step: the draw decided, in SHA-256(seed + bid_id) order.
    order = [b["bid_id"] for b in ranking["bids"] if not b["excluded"]]
    assert len(order) == 3
    assert order == sorted(order, key=lambda i: hashlib.sha256((seed + i).encode()).hexdigest())
    assert all(any("random draw" in r for r in b["reasons"]) for b in ranking["bids"])

    # Anyone reruns the published document offline and gets the same order.
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    ran = await bidhall("evaluate", "rank", str(path))
    assert ran.code == 0, ran.err
    assert [b["bid_id"] for b in json.loads(ran.out)["bids"]] == [
        b["bid_id"] for b in ranking["bids"]
    ]


async def test_a_seed_stored_in_the_lots_parameters_is_overridden(
    rt: Runtime, client: Client, clock: FixedClock, publish_lot: Any, bid: Any
) -> None:
    """Registration refuses a seed (test_method_checks); even one written around it loses."""
    lot = await opened_tie(rt, clock, publish_lot, bid)
    async with rt.sessionmaker() as session, session.begin():
        await session.execute(
            update(Lot).where(Lot.id == lot.id).values(evaluation_params={"seed": "chosen"})
        )
    doc = (await evaluate_and_publish(client, lot.id))["input"]
    record = await signed_record(rt, lot.id)
    assert doc["params"]["seed"] == hashlib.sha256(LABEL + canonical_json(record)).hexdigest()
