"""Opening: decrypt N sealed bids at the opening and publish the signed record.

    .venv/bin/python bench/opening.py [--bids 1000] [--size 64KB]

Setup (not timed): a scratch world in a temp dir (SQLite; a throwaway PostgreSQL database
when BIDHALL_DATABASE_URL names a PostgreSQL server) on a FixedClock, N bidder accounts
with in-memory identities whose public keys are registered through the services, one
lot, N bids sealed (bidding.client.seal_bid: price form + `--size` random bytes) and
submitted through the service layer (LocalBlobStore.stage + bidding.service.submit_bid).
The clock is then moved to the deadline and the custodians open their key shares on
"their machines" (bidhall.demo identities; share decryption is client-side, not timed).

Timed:
  platform  with the lot's snapshot taken (the scheduler's call at the deadline, in-process),
            `bidhall serve` on the world: the custodians' shares POSTed to
            /api/v1/lots/{id}/custody/release (202); the lot's background job recovers the key,
            decrypts every bid ahead in its worker pool, records outcomes a batch per
            transaction and publishes the signed record; until the lot reads `opened` and a
            signed tree head covers the log (polled every 10 ms).
  raw       crypto.envelope.open_envelope over the same N ciphertext files with the same
            recovered opening key, into temp files (no database, one thread); run before and
            after the platform, the median counts.

The ratio is platform time / raw time (1.0 = no overhead over the cryptography).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, bench/ is first on sys.path: _world is a sibling module.
from _figures import Figure, emit, median
from _servers import Processes, bidhall_argv, free_port, run_bench, wait_ready
from _world import (
    MB,
    Stopwatch,
    World,
    add_bidders,
    bench_price,
    build_world,
    human_size,
    loadavg,
    parse_size,
    publish_lot,
    table,
)

# Monday 2026-03-02 09:00 in Asia/Shanghai: a working day (as in tests/conftest.py).
MAX_BIDS = 20_000
MAX_SIZE = 256 << 20


def say(text: str) -> None:
    print(text, flush=True)


async def release_over_http(
    url: str,
    lot_id: int,
    releasing: list[tuple[Any, dict[str, Any]]],
    tokens: list[str],
    rt: Any,
) -> tuple[float, str]:
    """The custodians' releases over HTTP (202), then until the hall's event stream announces
    the signed record and a signed tree head covers the log: what a custodian waits for,
    measured from the first request."""
    import httpx

    from trading.audit.service import log_size

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        async with client.stream("GET", f"/lots/{lot_id}/hall/events") as events:
            lines = events.aiter_lines()
            t0 = time.perf_counter()
            for (_actor, share), token in zip(releasing, tokens, strict=True):
                response = await client.post(
                    f"/api/v1/lots/{lot_id}/custody/release",
                    json={"share": share},
                    headers={"authorization": f"Bearer {token}"},
                )
                if response.status_code != 202:
                    raise RuntimeError(f"release answered {response.status_code}: {response.text}")
            state = "opening"
            async for line in lines:
                if line.startswith("event:") and line.partition(":")[2].strip() == "record":
                    state = "opened"
                    break
                # The lot's state, not a bid's: roster events carry bid statuses ("failed" too).
                if line.startswith("data:") and re.search(r'"state":\s*"failed"', line):
                    state = "failed"
                    break
        async with rt.sessionmaker() as session:
            size = await log_size(session)
        while True:  # the head follows the record within milliseconds: poll for it
            head = (await client.get("/api/v1/audit/heads/latest")).json()
            if head.get("tree_size", 0) >= size:
                break
            await asyncio.sleep(0.005)
        return time.perf_counter() - t0, state


def raw_open(blobs: list[tuple[Path, str, str]], priv: bytes) -> float:
    """open_envelope over every (path, lot id, bidder id) into a temp file; seconds."""
    from crypto.envelope import open_envelope

    t0 = time.perf_counter()
    for path, lot_id, bidder in blobs:
        with path.open("rb") as src, tempfile.TemporaryFile() as plain:
            open_envelope(
                src,
                plain,
                recipient_priv=priv,
                expect_lot=lot_id,
                expect_bidder=bidder,
                expect_version=1,
            )
    return time.perf_counter() - t0


async def run(args: argparse.Namespace, tmp: Path) -> int:
    from sqlalchemy import func, select

    from bidding.client.sealing import seal_bid
    from bidding.opening import flows
    from bidding.opening import service as opening
    from bidding.opening.models import Opening
    from bidding.submission import service as submission
    from bidding.submission.models import Bid, BidStatus
    from bidhall.demo import demo_identity
    from crypto import signing
    from crypto.canonical import canonical_json
    from crypto.custody import CustodyBundle, ReleasedShare, open_share, recover_opening_key
    from crypto.encoding import b64u_decode
    from crypto.labels import envelope_lot_id
    from trading.auth.models import User
    from trading.auth.passwords import hash_password
    from trading.auth.service import actor_for, issue_api_token
    from trading.enums import LotState
    from trading.kernel.blobs import iter_file
    from trading.kernel.clock import FixedClock
    from trading.projects.models import Lot

    n, size = args.bids, args.size
    say(f"opening: {n} sealed bids × {human_size(size)}; load {loadavg()}")
    watch = Stopwatch(say)
    # The deadline falls at the wall clock's now: the server that opens the lot runs on the wall
    # clock, and a decryption window already over there would decide every bid unopened (第31条).
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=21))
    with watch.phase("world (migrate + seed)"):
        world: World = await build_world(tmp / "world", clock, say=say)
    rt = world.rt
    try:
        db = "PostgreSQL" if world.pg_name else "SQLite"
        t0 = time.perf_counter()
        hash_password("one-scrypt-for-the-estimate")
        per_hash = time.perf_counter() - t0
        with watch.phase(f"{n} bidder accounts + keys (one shared password hash)"):
            bidders = await add_bidders(rt, n, clock.now())
        say(
            f"    (a scrypt hash per account would add ≈ {n * per_hash:.0f} s:"
            f" {per_hash * 1000:.0f} ms each)"
        )
        with watch.phase("publish lot (21-day bid period)"):
            lot = await publish_lot(
                rt,
                bidders,
                issued=clock.now(),
                deadline=clock.now() + timedelta(days=21),
                sandbox=False,
            )
        assert lot.opening_pub is not None and lot.custody is not None
        clock.advance(timedelta(days=1))
        attachment = tmp / "attachment.bin"
        with attachment.open("wb") as out:
            out.write(os.urandom(size))
        opening_pub = b64u_decode(lot.opening_pub, length=32)
        sealed_dir = tmp / "sealed"
        sealed_dir.mkdir()
        t_seal = t_stage = t_submit = 0.0
        with watch.phase(f"seal + submit {n} bids through the service layer"):
            for i, bidder in enumerate(bidders):
                t0 = time.perf_counter()
                sealed = seal_bid(
                    bidder.identity,
                    lot_id=envelope_lot_id(lot.id),
                    bidder_id=bidder.uscc,
                    version=1,
                    opening_pub=opening_pub,
                    price_form={"price": bench_price(i), "duration_days": 180, "quality": "合格"},
                    files=[("技术标.bin", attachment)],
                    out=sealed_dir / "bid.sealed",
                )
                t1 = time.perf_counter()
                staged = await rt.blobs.stage(
                    iter_file(sealed.path), max_size=submission.MAX_BID_BYTES
                )
                t2 = time.perf_counter()
                async with rt.sessionmaker() as session:
                    await submission.submit_bid(
                        session, lot.id, bidder.actor, staged, sealed.signature, rt.context()
                    )
                t3 = time.perf_counter()
                t_seal, t_stage, t_submit = t_seal + t1 - t0, t_stage + t2 - t1, t_submit + t3 - t2
        say(
            f"    per bid: seal {t_seal / n * 1000:.1f} ms (bidder side), blob stage "
            f"{t_stage / n * 1000:.1f} ms (write + fsync), submit_bid {t_submit / n * 1000:.1f} ms"
            " (checks, bid row, audit entry, receipt, commit)"
        )
        total_bytes = 0
        blobs: list[tuple[Path, str, str]] = []
        async with rt.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Bid.ciphertext_sha256, Bid.size, Bid.bidder_org_id).where(
                        Bid.lot_id == lot.id, Bid.status == BidStatus.ACTIVE
                    )
                )
            ).all()
            by_org = {b.actor.org_id: b.uscc for b in bidders}
            for sha, nbytes, org_id in rows:
                blobs.append((rt.blobs.path_for(sha), envelope_lot_id(lot.id), by_org[org_id]))
                total_bytes += nbytes
            custody = lot.custody
            releasing: list[tuple[Any, dict[str, Any]]] = []
            bundle = CustodyBundle.from_dict(custody["bundle"])
            for user_id in custody["custodians"][: custody["threshold"]]:
                user = await session.get(User, user_id)
                assert user is not None
                identity = demo_identity(rt, user.username)  # the custodian's own key file
                share = open_share(bundle.share_for(identity.enc_pub), identity.enc_priv)
                releasing.append((actor_for(user), share.to_dict()))
        if len(blobs) != n:
            raise RuntimeError(f"{len(blobs)} active bids stored, expected {n}")
        priv = recover_opening_key(bundle, [ReleasedShare.from_dict(s) for _, s in releasing])
        # The scheduler's call at the deadline: submissions close, the snapshot is taken.
        clock.set(lot.bid_deadline)
        if await flows.start(rt, lot.id) != LotState.OPENING:
            raise RuntimeError("the opening did not start")
        await flows.job_done(rt, lot.id)
        async with rt.sessionmaker() as session:
            # Tokens live in real time: the server below runs on the wall clock.
            tokens = [
                await issue_api_token(
                    session, await session.get(User, a.user_id), now=datetime.now(UTC), name="b"
                )
                for a, _ in releasing
            ]

        say(f"timed: raw open_envelope × {n} (no database); load {loadavg()}")
        raw_before = raw_open(blobs, priv)
        procs = Processes()
        try:
            port = free_port()
            server = procs.start(
                "platform",
                bidhall_argv(port, Path("/tmp/open.prof") if os.environ.get("PROF") else None),
                world.server_env(),
                tmp,
                port,
            )
            await wait_ready(server, "/healthz")
            say(f"timed: platform opening of {n} bids over HTTP; load {loadavg()}")
            cpu0 = server.cpu_seconds()
            platform, state = await release_over_http(server.url, lot.id, releasing, tokens, rt)
            server_cpu = server.cpu_seconds() - cpu0
        finally:
            procs.stop_all()
        say(f"timed: raw open_envelope × {n} again; load {loadavg()}")
        raw_after = raw_open(blobs, priv)
        raw = median([raw_before, raw_after])

        # What was published: all N decrypted, the record signed by the platform.
        async with rt.sessionmaker() as session:
            final = await session.get(Lot, lot.id)
            opening = await session.get(Opening, lot.id)
            decrypted = await session.scalar(
                select(func.count(Bid.id)).where(
                    Bid.lot_id == lot.id, Bid.status == BidStatus.DECRYPTED
                )
            )
        problems: list[str] = []
        if state != LotState.OPENED or final is None or final.state != LotState.OPENED:
            problems.append(f"lot state {state}, expected opened")
        if decrypted != n:
            problems.append(f"{decrypted} of {n} bids decrypted")
        if opening is None or opening.record is None:
            problems.append("no opening record published")
        else:
            signing.verify(
                rt.platform.sign_pub,
                canonical_json(opening.record["record"]),
                b64u_decode(opening.record["signature"]),
            )
            if len(opening.record["record"]["rows"]) != n:
                problems.append("opening record does not list every bid")

        report(db, n, size, total_bytes, raw, (raw_before, raw_after), platform, server_cpu)
        for problem in problems:
            say(f"PROBLEM: {problem}")
        return 1 if problems else 0
    finally:
        await world.close()


def report(
    db: str,
    n: int,
    size: int,
    total_bytes: int,
    raw: float,
    raws: tuple[float, float],
    platform: float,
    server_cpu: float,
) -> None:
    def row(name: str, seconds: float) -> list[str]:
        return [
            name,
            f"{seconds:.2f}",
            f"{n / seconds:.0f}" if seconds else "-",
            f"{total_bytes / MB / seconds:.1f}" if seconds else "-",
            f"{seconds / raw:.2f}",
        ]

    say("")
    say(
        f"opening — {db}, {n} bids, sealed bid {human_size(total_bytes // n)} "
        f"({human_size(size)} attachment), load {loadavg()}"
    )
    say(
        table(
            ["what", "time s", "bids/s", "MB/s", "× raw"],
            [
                row("raw open_envelope, no DB (median of 2)", raw),
                row("platform: HTTP release → record + head", platform),
                row("  serving process CPU (decryption workers not counted)", server_cpu),
            ],
        )
    )
    say(f"raw runs: {raws[0]:.2f} s before, {raws[1]:.2f} s after the platform opening")
    say(
        f"\nsummary: opening ({db}, {n} × {human_size(size)}, load {loadavg()}): "
        f"{platform:.2f} s for {n} bids ({n / platform:.0f} bids/s) incl. signed record and head; "
        f"raw decryption {raw:.2f} s ({n / raw:.0f} bids/s); ratio {platform / raw:.2f}× raw"
    )
    emit(
        Figure(
            bench="opening",
            figure=f"opening {n} × {human_size(size)} ({db}), HTTP release → record + head",
            value=platform,
            unit="s",
            baseline=raw,
            baseline_name="raw open_envelope",
            target="≤ 1.5× raw",
            met=platform <= 1.5 * raw,
        )
    )


def bounded_size(text: str) -> int:
    size = parse_size(text)
    if not 1 <= size <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"size must be between 1 B and {human_size(MAX_SIZE)}")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Open N sealed bids (custodians release shares, every bid decrypted, signed "
        "record published) and compare with raw decryption of the same files.",
        epilog="Honours BIDHALL_DATABASE_URL (PostgreSQL: a scratch database is created"
        " and dropped).",
    )
    parser.add_argument("--bids", type=int, default=1000, help="sealed bids (default 1000)")
    parser.add_argument(
        "--size",
        type=bounded_size,
        default=parse_size("64KB"),
        help="attachment size per bid, e.g. 64KB, 1MB (default 64KB)",
    )
    args = parser.parse_args(argv)
    if not 3 <= args.bids <= MAX_BIDS:
        parser.error(f"--bids must be between 3 (the minimum for an opening) and {MAX_BIDS}")
    return run_bench(lambda tmp, _procs: run(args, tmp), "bidhall-opening-", say)


if __name__ == "__main__":
    sys.exit(main())
