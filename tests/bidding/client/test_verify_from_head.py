"""`bidhall audit verify --heads FILE` checks only what the log gained since the last run:
the consistency proof from the saved head, the new leaves, the new bodies. Attacks come from
a dishonest operator (the database edited, heads re-signed with the platform's own key) and
from a lying server in front of an honest one (answers rewritten on the wire)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from bidding.client.verify import ApiClient, LogError
from bidding.client.verify_resume import verify_since
from bidhall.demo import DEMO_PASSWORD
from crypto import merkle
from crypto.keys import key_id
from trading.audit import heads
from trading.audit import service as audit
from trading.audit.models import AuditEntry, TreeHead
from trading.kernel.actor import SYSTEM
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime

Rewrite = Callable[[str, dict[str, str], Any], Any]


class Wire(httpx.BaseTransport):
    """The path between the verifier and an honest server: records every request and lets a
    test rewrite JSON answers, as a lying server (or a man in the middle) would."""

    def __init__(self, rewrite: Rewrite | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.rewrite = rewrite
        self.seen: list[tuple[str, dict[str, str]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, dict(request.url.params)
        self.seen.append((path, params))
        response = self.inner.handle_request(request)
        if self.rewrite is None or response.status_code != 200:
            return response
        response.read()
        data = self.rewrite(path, params, response.json())
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(200, headers=headers, json=data)

    def close(self) -> None:
        self.inner.close()


def run_verify(url: str, saved: list[dict[str, Any]], wire: Wire, token: str | None = None) -> Any:
    with ApiClient(url, token) as api:
        headers = api.http.headers
        api.http.close()
        api.http = httpx.Client(base_url=url, headers=headers, transport=wire)
        return verify_since(api, saved_heads=saved, with_bodies=token is not None)


async def verify(
    url: str, saved: list[dict[str, Any]], wire: Wire | None = None, token: str | None = None
) -> Any:
    return await asyncio.to_thread(run_verify, url, saved, wire or Wire(), token)


async def append(rt: Runtime, clock: FixedClock, n: int, tag: str) -> None:
    async with rt.sessionmaker() as session, writing(session):
        for i in range(n):
            await audit.append(
                session, SYSTEM, "test.event", "test", f"{tag}-{i}", at=clock.now(), detail={}
            )


async def publish(rt: Runtime) -> TreeHead:
    async with rt.sessionmaker() as session:
        return await heads.publish_tree_head(session, rt.platform, rt.clock.now())


async def supervisor(url: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post(
            "/api/v1/auth/token", json={"username": "supervisor-450000", "password": DEMO_PASSWORD}
        )
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


async def saved_world(
    rt: Runtime, clock: FixedClock, publish_lot: Any, bid: Any, bidhall: Any, url: str, path: Path
) -> list[dict[str, Any]]:
    """A log with two heads, verified in full once: the heads file a verifier keeps."""
    lot = await publish_lot()
    clock.advance(timedelta(hours=1))
    await bid(lot)
    await publish(rt)
    await append(rt, clock, 5, "between")
    await publish(rt)
    ran = await bidhall("audit", "verify", "--url", url, "--heads", str(path))
    assert ran.code == 0, ran.err
    assert "2 signed tree head(s)" in ran.out  # the first run checks the whole log
    saved: list[dict[str, Any]] = json.loads(await asyncio.to_thread(path.read_text))
    return saved


async def test_resume_fetches_only_what_the_log_gained(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    path = tmp_path / "heads.json"
    saved = await saved_world(rt, clock, publish_lot, bid, bidhall, live_server, path)
    m = saved[-1]["tree_size"]
    await append(rt, clock, 40, "new")
    middle = await publish(rt)
    await append(rt, clock, 25, "newer")
    latest = await publish(rt)
    await append(rt, clock, 3, "unsigned tail")

    wire = Wire()
    token = await supervisor(live_server)
    summary, good = await verify(live_server, saved, wire, token)
    assert (summary.since, summary.entries, summary.heads) == (m, latest.tree_size, 2)
    assert summary.bodies_checked == latest.tree_size - m
    assert [h["tree_size"] for h in good] == [
        *(h["tree_size"] for h in saved),
        middle.tree_size,
        latest.tree_size,
    ]
    # Nothing at or before the saved head was downloaded again: leaves and bodies start
    # after it (entry m itself once, to link the chain, proven by an O(log m) inclusion).
    leaves = [p for path_, p in wire.seen if path_ == "/api/v1/audit/leaves"]
    assert leaves and all(int(p["start"]) > m for p in leaves)
    assert sum(int(p["limit"]) for p in leaves) == latest.tree_size - m
    bodies = [p for path_, p in wire.seen if path_.startswith("/api/v1/audit/entries")]
    assert min(int(p["start"]) for p in bodies) == m
    assert [p for path_, p in wire.seen if path_ == "/api/v1/audit/proof/consistency"] == [
        {"first": str(m), "second": str(latest.tree_size)}
    ]
    assert [p for path_, p in wire.seen if path_ == "/api/v1/audit/proof/inclusion"] == [
        {"seq": str(m), "tree_size": str(m)}
    ]

    # Through the CLI: the heads file moves on, and a run with nothing new says so.
    ran = await bidhall("audit", "verify", "--url", live_server, "--heads", str(path))
    assert ran.code == 0, ran.err
    assert f"entries {m + 1}..{latest.tree_size} after the saved head of size {m}" in ran.out
    assert "2 new signed tree head(s)" in ran.out and "1 consistency proof(s)" in ran.out
    assert json.loads(path.read_text())[-1] == heads.head_json(latest)
    again = await bidhall("audit", "verify", "--url", live_server, "--heads", str(path))
    assert again.code == 0, again.err
    assert "no signed tree head since the saved one" in again.out


async def test_operator_rewrites_an_old_entry_and_re_signs_the_log(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    """The platform key signs a rewritten history (heads dropped, tree rebuilt from the
    forged bodies): a newcomer sees a consistent log, the saved head does not."""
    path = tmp_path / "heads.json"
    saved = await saved_world(rt, clock, publish_lot, bid, bidhall, live_server, path)
    m = saved[-1]["tree_size"]
    async with rt.sessionmaker() as session, session.begin():
        victim = await session.scalar(select(AuditEntry).where(AuditEntry.action == "bid.submit"))
        assert victim is not None and victim.seq <= m
        forged = victim.body.replace('"version":1', '"version":2')
        assert forged != victim.body
        await session.execute(
            update(AuditEntry).where(AuditEntry.seq == victim.seq).values(body=forged)
        )
        await session.execute(delete(TreeHead))
    await append(rt, clock, 12, "after the rewrite")
    rewritten = await publish(rt)  # one head over the rewritten log, no head of size m
    assert rewritten.tree_size > m
    assert (await bidhall("audit", "verify", "--url", live_server)).code == 0  # a newcomer
    witness = path.read_text()
    ran = await bidhall("audit", "verify", "--url", live_server, "--heads", str(path))
    assert ran.code == 2 and len(ran.err.strip().splitlines()) == 1, ran.err
    assert f"heads of size {m} and {rewritten.tree_size} are not consistent" in ran.err
    assert path.read_text() == witness  # a failed run keeps the witness


async def test_forked_latest_head_is_refused(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    """The server signs, with the platform's real key, a latest head over a log other than
    the one it serves (a split view): no consistency proof it can serve leads to it."""
    path = tmp_path / "heads.json"
    saved = await saved_world(rt, clock, publish_lot, bid, bidhall, live_server, path)
    m = saved[-1]["tree_size"]
    await append(rt, clock, 9, "tail")
    async with rt.sessionmaker() as session:
        leaves = await audit.leaf_hashes(session)
    other = [*leaves]
    other[m + 3] = merkle.leaf_hash(b"the entry shown to someone else")
    sth = merkle.sign_tree_head(
        rt.platform.sign_priv,
        len(other),
        merkle.root(other),
        clock.now().isoformat(),
        key_id(rt.platform.sign_pub),
    )
    async with rt.sessionmaker() as session, session.begin():
        session.add(
            TreeHead(
                tree_size=sth["tree_size"],
                root=sth["root"],
                timestamp=clock.now(),
                signature=sth["signature"],
                key_id=sth["key_id"],
                sth=json.dumps(sth),
            )
        )
    ran = await bidhall("audit", "verify", "--url", live_server, "--heads", str(path))
    assert ran.code == 2 and len(ran.err.strip().splitlines()) == 1, ran.err
    assert f"heads of size {m} and {len(other)} are not consistent" in ran.err

    # The same fork with a proof that does verify (the server proves the forged tree):
    # the new leaves it serves cannot give the root it signed.
    def forked_proof(path_: str, params: dict[str, str], data: Any) -> Any:
        if path_ == "/api/v1/audit/proof/consistency":
            data["proof"] = [p.hex() for p in merkle.consistency_proof(m, other)]
        return data

    with pytest.raises(LogError, match=f"signed tree head of size {len(other)}"):
        await verify(live_server, saved, Wire(forked_proof))


@pytest.mark.parametrize("where", ["new body", "boundary body", "public body", "new leaf"])
async def test_lying_server_answers_are_caught(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
    where: str,
) -> None:
    path = tmp_path / "heads.json"
    saved = await saved_world(rt, clock, publish_lot, bid, bidhall, live_server, path)
    m = saved[-1]["tree_size"]
    lot = await publish_lot(title="开标后公开")
    await append(rt, clock, 6, "tail")
    # Entries of an opened lot are public: give the new range some.
    async with rt.sessionmaker() as session, session.begin():
        from trading.projects.models import Lot

        await session.execute(update(Lot).where(Lot.id == lot.id).values(state="opened"))
    latest = await publish(rt)
    token = await supervisor(live_server)
    victim = m + 2

    def lie(path_: str, params: dict[str, str], data: Any) -> Any:
        if where == "new leaf" and path_ == "/api/v1/audit/leaves":
            start = int(params["start"])
            if start <= victim < start + len(data["leaves"]):
                data["leaves"][victim - start] = merkle.leaf_hash(b"lie").hex()
        body_of = {"new body": victim, "boundary body": m, "public body": None}.get(where, -1)
        if path_ == "/api/v1/audit/entries" and body_of is not None:
            for e in data:
                if e["seq"] == body_of:
                    e["body"] = e["body"].replace('"ip":""', '"ip":"10.1.2.3"')
        if path_ == "/api/v1/audit/entries/public" and where == "public body" and data:
            data[0]["body"] = data[0]["body"].replace('"ip":""', '"ip":"10.1.2.3"')
        return data

    honest = await verify(live_server, saved, token=token)
    assert honest[0].public_bodies_checked > 0 and honest[0].entries == latest.tree_size
    expected = {
        "new body": f"entry {victim}: body does not hash to its leaf",
        "boundary body": f"entry {m} is not the one the saved head of size {m} signed",
        "public body": "body does not hash to its leaf",
        "new leaf": f"does not match the signed tree head of size {latest.tree_size}",
    }[where]
    with pytest.raises(LogError, match=expected):
        await verify(live_server, saved, Wire(lie), token=None if where == "public body" else token)


async def test_resume_trusts_the_saved_prefix_and_full_checks_it_again(
    rt: Runtime,
    clock: FixedClock,
    publish_lot: Any,
    bid: Any,
    live_server: str,
    bidhall: Any,
    tmp_path: Path,
) -> None:
    """A body edited inside the saved prefix is past what a resumed run reads (it proved
    that prefix before); `--full` reads it again and names the head it breaks."""
    path = tmp_path / "heads.json"
    saved = await saved_world(rt, clock, publish_lot, bid, bidhall, live_server, path)
    first = saved[0]["tree_size"]
    async with rt.sessionmaker() as session, session.begin():
        victim = await session.get(AuditEntry, first - 1)
        assert victim is not None
        forged = victim.body.replace('"ip":""', '"ip":"10.6.6.6"')
        assert forged != victim.body
        await session.execute(
            update(AuditEntry).where(AuditEntry.seq == victim.seq).values(body=forged)
        )
    await append(rt, clock, 4, "tail")
    await publish(rt)
    ran = await bidhall("audit", "verify", "--url", live_server, "--heads", str(path))
    assert ran.code == 0, ran.err
    full = await bidhall("audit", "verify", "--url", live_server, "--heads", str(path), "--full")
    assert full.code == 2, full.out
    assert f"does not match the signed tree head of size {first}" in full.err
