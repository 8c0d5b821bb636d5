"""Deadline rush: N bidders upload sealed bids to a real server in the last minute.

    .venv/bin/python bench/deadline_rush.py [--bidders 500] [--size 5MB] [--window 60]

What it does, in order (steps 5, 7 and 8 are timed):

1. checks that the temp directory's disk holds the run (sealed bids, stored blobs and one
   baseline run's copies: about 3 × N × size), then builds a scratch world in a temp dir
   (SQLite; a throwaway PostgreSQL database when BIDHALL_DATABASE_URL names a PostgreSQL
   server), with N bidder organizations and accounts whose public keys are registered and
   API tokens issued through the services;
2. publishes one sandbox lot whose bid deadline leaves time for the setup, the baselines run
   before the platform's, and then `--window` seconds (the project's accelerator is large, so
   the rules allow it);
3. seals N bids on "the bidders' machines" (bidding.client.seal_bid, in worker processes):
   a price form plus one file of `--size` random (incompressible) bytes each;
4. starts three servers on 127.0.0.1, each under the same uvicorn as a subprocess:
     platform  `bidhall serve` on the scratch world (scheduler off)
     bare      a plain ASGI endpoint that streams the body to a file, returns 201
     stage     the same endpoint doing exactly the platform's blob path
               (trading.kernel.blobs.LocalBlobStore stage + publish + settle: SHA-256 and
               writes off the event loop, fsync, link in place, directory fsync)
5. rushes `bare` and `stage` (`--baseline-runs` times each, alternating): the "before" runs;
6. waits until `--window` seconds before the deadline;
7. fires all N uploads at once (httpx.AsyncClient, bodies streamed from the sealed files,
   connection pool sized to N) against the platform, checks every one was accepted before
   the deadline, while another client fetches a DB-backed page every 0.25 s (what the
   rush does to everyone else);
8. rushes `bare` and `stage` again: the "after" runs. Each baseline figure is the median of
   its before and after runs (bench/_figures.py), so a machine that got busier or quieter
   during the run moves the baseline with the platform;
9. verifies every receipt offline with the key from GET /api/v1/platform/key, checks the
   bid rows, prints a table and a one-line summary, and emits the headline figures
   (bench/_figures.py): receipt p99 against the staging endpoint (the target: ≤ 1.5×) and the
   bare one, accepted / sent (the target: zero loss), MB/s. Exit status 1 unless
   accepted == sent.

Latency is per upload, from sending the request to receiving the receipt. MB/s is the
aggregate body throughput (1 MB = 10^6 bytes) over the rush's wall time. Ratios are
platform / baseline from the same run (latency: > 1 is slower; MB/s: < 1 is slower).
`first` is the fastest upload. `srv CPU` / `cli CPU` are the server process's and this
client's user+system CPU seconds during the rush (2 CPUs are shared by both).
Everything started is stopped on exit, Ctrl-C or error; the temp dir is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _figures import Figure, emit, median
from _servers import HOST, Processes, Server, bidhall_argv, free_port, run_bench, wait_ready

# Run as a script, bench/ is first on sys.path: _world is a sibling module.
from _world import (
    MB,
    Bidder,
    Stopwatch,
    World,
    add_bidders,
    bench_price,
    build_world,
    human_size,
    issue_tokens,
    loadavg,
    parse_size,
    percentile,
    publish_lot,
    table,
)

HERE = Path(__file__).resolve()
SANDBOX_FACTOR = 1_000_000  # 20 legal days -> 1.7 s: a sandbox lot may close within the minute
READ_CHUNK = 256 << 10
MAX_BIDDERS = 2000
MAX_SIZE = 256 << 20


def say(text: str) -> None:
    print(text, flush=True)


# ---- the baseline servers (run in a child process: `--serve-bare PORT DIR MODE`) ----------------


def bare_app(directory: Path, mode: str) -> Callable[..., Awaitable[None]]:
    """Plain ASGI: POST streams the body to a file in `directory` and answers 201.

    mode "bare": write only.  mode "stage": the platform's own blob code, unchanged.
    """
    from trading.kernel.blobs import LocalBlobStore

    store = LocalBlobStore(directory) if mode == "stage" else None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ConnectionError("client went away")
                if chunk := message.get("body", b""):
                    yield chunk
                if not message.get("more_body", False):
                    return

        status, answer = 200, {"status": "ok"}
        if scope["method"] == "POST":
            if store is not None:
                # What the platform does with a bid's body, minus everything else it does.
                staged = await store.stage(body(), max_size=1 << 40)
                created = await store.publish(staged)
                await store.settle(staged, created=created, kept=True)
                answer = {"sha256": staged.sha256, "size": staged.size}
            else:
                fd, name = tempfile.mkstemp(dir=directory, prefix="bare-")
                size = 0
                try:
                    with os.fdopen(fd, "wb") as out:
                        async for chunk in body():
                            out.write(chunk)
                            size += len(chunk)
                except BaseException:
                    os.unlink(name)
                    raise
                answer = {"size": size}
            status = 201
        payload = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


def serve_bare(port: int, directory: Path, mode: str) -> None:
    import uvicorn

    directory.mkdir(parents=True, exist_ok=True)
    # The same call `bidhall serve` makes (bidhall/cli.py), so only the app differs.
    uvicorn.run(bare_app(directory, mode), host=HOST, port=port, log_level="info")


# ---- sealing (worker processes: the bidders' machines) -----------------------------------------


@dataclass(frozen=True)
class Sealed:
    path: Path
    size: int
    signature: str
    ciphertext_sha256: str


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            out.write(block)
            left -= len(block)


def seal_one(job: tuple[Any, str, str, bytes, str, str, str]) -> Sealed:
    from bidding.client.sealing import seal_bid

    identity, lot_id, uscc, opening_pub, price, attachment, out = job
    sealed = seal_bid(
        identity,
        lot_id=lot_id,
        bidder_id=uscc,
        version=1,
        opening_pub=opening_pub,
        price_form={"price": price, "duration_days": 180, "quality": "合格"},
        files=[("技术标.bin", attachment)],
        out=Path(out),
    )
    with open(out, "rb") as fh:  # on disk before the clock starts: no writeback mid-rush
        os.fsync(fh.fileno())
    return Sealed(sealed.path, sealed.size, sealed.signature, sealed.ciphertext_sha256)


def calibrate_seal(attachment: Path, out: Path) -> float:
    """Seconds to seal one bid of this size in this process (to size the deadline); the
    sealed file stays at `out`."""
    from crypto.keys import generate_identity

    dummy, lot_key = generate_identity(), generate_identity()
    t0 = time.perf_counter()
    seal_one(
        (dummy, "lot-0", "91450100MA0000001X", lot_key.enc_pub, "1.00", str(attachment), str(out))
    )
    return time.perf_counter() - t0


# ---- the rush ----------------------------------------------------------------------------------


@dataclass
class Upload:
    index: int
    status: int  # 0: transport error
    started: float
    ended: float
    size: int
    body: Any = None
    error: str = ""


@dataclass
class Rush:
    name: str
    uploads: list[Upload]
    cpu: float
    client_cpu: float
    probes: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds)

    @property
    def sent(self) -> int:
        return len(self.uploads)

    @property
    def ok(self) -> list[Upload]:
        return [u for u in self.uploads if u.status == 201]

    @property
    def wall(self) -> float:
        return max(u.ended for u in self.uploads) - min(u.started for u in self.uploads)

    def latencies(self) -> list[float]:
        return [u.ended - u.started for u in self.ok] or [math.nan]

    @property
    def mbps(self) -> float:
        return sum(u.size for u in self.ok) / MB / self.wall if self.wall > 0 else math.nan

    def failures(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for u in self.uploads:
            if u.status != 201:
                key = f"{u.status} {u.error or str(u.body)[:120]}"
                out[key] = out.get(key, 0) + 1
        return out


async def file_body(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            yield chunk


async def rush(
    server: Server,
    url: str,
    files: list[Sealed],
    headers: list[dict[str, str]],
    seconds: float,
    probe: tuple[str, dict[str, str]] | None = None,
) -> Rush:
    """All uploads at once; meanwhile `probe` (url, headers) is fetched every 0.25 s by
    another client, to see what the rush does to everybody else's requests."""
    import httpx

    n = len(files)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(seconds)) as client:

        async def one(i: int) -> Upload:
            sealed = files[i]
            hdrs = {
                **headers[i],
                "content-type": "application/octet-stream",
                "content-length": str(sealed.size),
            }
            t0 = time.perf_counter()
            try:
                response = await client.post(url, content=file_body(sealed.path), headers=hdrs)
                body: Any = response.json() if response.status_code == 201 else response.text
                return Upload(i, response.status_code, t0, time.perf_counter(), sealed.size, body)
            except (httpx.HTTPError, ValueError) as exc:
                return Upload(i, 0, t0, time.perf_counter(), sealed.size, error=repr(exc)[:200])

        probes: list[tuple[int, float]] = []
        done = asyncio.Event()

        async def prober() -> None:
            if probe is None:
                return
            async with httpx.AsyncClient(timeout=60.0) as other:
                while not done.is_set():
                    t0 = time.perf_counter()
                    try:
                        got = await other.get(probe[0], headers=probe[1])
                        status, why = got.status_code, got.text[:160]
                    except httpx.HTTPError as exc:
                        status, why = 0, repr(exc)[:160]
                    probes.append((status, time.perf_counter() - t0))
                    if status != 200:
                        say(f"  probe GET failed: {status} {why}")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(done.wait(), 0.25)

        cpu0, mine0 = server.cpu_seconds(), time.process_time()
        probing = asyncio.create_task(prober())
        uploads = await asyncio.gather(*(one(i) for i in range(n)))
        cpu, mine = server.cpu_seconds() - cpu0, time.process_time() - mine0
        done.set()
        await probing
    if any(status != 200 for status, _ in probes):
        say(f"  {server.name} server log, all but its access lines:\n{server.log_problems()}")
    return Rush(server.name, list(uploads), cpu, mine, probes)


def clear_dir(path: Path, keep: Path | None = None, prefix: str = "") -> None:
    """Delete what a baseline wrote (before its dirty pages reach the disk), keep `keep`."""
    if not path.exists():
        return
    for child in path.iterdir():
        if (keep is not None and child == keep) or not child.name.startswith(prefix):
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


# ---- main --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """One endpoint's figures; for a baseline, the median of its runs."""

    name: str
    sent: int
    accepted: int
    first: float
    p50: float
    p99: float
    mbps: float
    wall: float
    cpu: float
    client_cpu: float
    runs: int = 1

    @classmethod
    def of(cls, runs: list[Rush]) -> Summary:
        def med(values: list[float]) -> float:
            return median(values) if values else math.nan

        return cls(
            name=runs[0].name,
            sent=runs[0].sent,
            accepted=min(len(r.ok) for r in runs),
            first=med([min(r.latencies()) for r in runs]),
            p50=med([percentile(r.latencies(), 50) for r in runs]),
            p99=med([percentile(r.latencies(), 99) for r in runs]),
            mbps=med([r.mbps for r in runs]),
            wall=med([r.wall for r in runs]),
            cpu=med([r.cpu for r in runs]),
            client_cpu=med([r.client_cpu for r in runs]),
            runs=len(runs),
        )


def disk_check(tmp: Path, n: int, size: int) -> None:
    """Refuse to start a run the temp directory's disk cannot hold: the sealed bids, the
    platform's stored copies and one baseline run's copies at a time (each cleared after)."""
    need = 3 * n * size + (512 << 20)
    free = shutil.disk_usage(tmp).free
    say(f"  disk: {human_size(free)} free under {tmp.parent}, the run needs ~{human_size(need)}")
    if free < need:
        raise SystemExit(
            f"not enough disk under {tmp.parent} for {n} × {human_size(size)}: "
            f"{human_size(free)} free, ~{human_size(need)} needed (fewer --bidders or --size)"
        )


async def calibrate_stage(path: Path, root: Path) -> float:
    """Bytes per second through the platform's blob path for one upload alone (to budget the
    baseline runs before the window)."""
    from trading.kernel.blobs import LocalBlobStore, iter_file

    store = LocalBlobStore(root)
    t0 = time.perf_counter()
    staged = await store.stage(iter_file(path), max_size=1 << 40)
    created = await store.publish(staged)
    await store.settle(staged, created=created, kept=False)
    elapsed = time.perf_counter() - t0
    shutil.rmtree(root, ignore_errors=True)
    return staged.size / max(elapsed, 1e-3)


async def run(args: argparse.Namespace, tmp: Path, procs: Processes) -> int:
    import httpx
    from sqlalchemy import func, select

    from bidding.submission.models import Bid, BidStatus
    from crypto.encoding import b64u_decode
    from crypto.receipts import verify_receipt
    from trading.kernel.clock import SystemClock

    n, size, window = args.bidders, args.size, args.window
    workers = max(1, min(args.seal_workers, os.cpu_count() or 1))
    say(f"deadline rush: {n} bidders × {human_size(size)}, window {window:g} s; load {loadavg()}")
    disk_check(tmp, n, size)
    watch = Stopwatch(say)
    clock = SystemClock()
    with watch.phase("world (migrate + seed)"):
        world: World = await build_world(
            tmp / "world", clock, sandbox_factor=SANDBOX_FACTOR, say=say
        )
    try:
        db = "PostgreSQL" if world.pg_name else "SQLite"
        with watch.phase(f"{n} bidder accounts + keys"):
            bidders: list[Bidder] = await add_bidders(world.rt, n, clock.now())
        with watch.phase(f"{n} API tokens"):
            tokens = await issue_tokens(world.rt, bidders, clock.now())
        sealed_dir = tmp / "sealed"
        sealed_dir.mkdir()
        attachment = tmp / "attachment.bin"
        with watch.phase(f"random attachment ({human_size(size)}) + calibration"):
            write_random(attachment, size)
            probe = sealed_dir / "calibrate.sealed"
            per_seal = calibrate_seal(attachment, probe)
            rate = await calibrate_stage(probe, tmp / "calibrate-blobs")
            probe.unlink()
        # Deadline: sealing (in `workers` processes) + server start + a margin, then the
        # baselines' "before" runs (budgeted at a third of one upload's rate: N at once share
        # the disk and the CPUs), then the window.
        setup = per_seal * math.ceil(n / workers) * 1.5 + 4.0 * workers + args.slack
        before = args.baseline_runs * 2 * (n * size / (rate / 3) + 3.0)
        issued = clock.now()
        deadline = issued + timedelta(seconds=setup + before + window)
        with watch.phase("publish sandbox lot"):
            lot = await publish_lot(
                world.rt, bidders, issued=issued, deadline=deadline, sandbox=True
            )
        assert lot.opening_pub is not None
        deadline = lot.bid_deadline
        say(
            f"  lot {lot.id}: deadline {deadline.isoformat()} (setup budget {setup:.0f} s,"
            f" baselines before {before:.0f} s, then the window)"
        )
        opening_pub = b64u_decode(lot.opening_pub, length=32)
        jobs = [
            (
                b.identity,
                f"lot-{lot.id}",
                b.uscc,
                opening_pub,
                bench_price(i),
                str(attachment),
                str(sealed_dir / f"{i:04d}.sealed"),
            )
            for i, b in enumerate(bidders)
        ]
        with watch.phase(f"seal {n} bids ({workers} processes)"):
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                sealed = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: list(pool.map(seal_one, jobs, chunksize=4))
                )
        attachment.unlink()

        with watch.phase("start servers"):
            env = world.server_env()
            blob_tmp = world.settings.blob_dir / "tmp"  # the platform stages uploads here
            stage_root = tmp / "world" / "blobs-stage"
            ports = (
                [args.port, args.port + 1, args.port + 2]
                if args.port
                else [free_port() for _ in range(3)]
            )
            platform = procs.start(
                "platform",
                bidhall_argv(ports[0], tmp / "platform.prof" if args.profile_server else None),
                env,
                tmp,
                ports[0],
            )
            me = [sys.executable, str(HERE), "--serve-bare"]
            bare = procs.start(
                "bare", [*me, str(ports[1]), str(blob_tmp), "bare"], env, tmp, ports[1]
            )
            stage = procs.start(
                "stage", [*me, str(ports[2]), str(stage_root), "stage"], env, tmp, ports[2]
            )
            await asyncio.gather(
                wait_ready(platform, "/healthz"), wait_ready(bare, "/"), wait_ready(stage, "/")
            )
            async with httpx.AsyncClient(timeout=10) as client:
                key = (await client.get(platform.url + "/api/v1/platform/key")).json()
                # One authenticated request per server so first-request costs are not timed.
                await client.get(
                    f"{platform.url}/api/v1/lots/{lot.id}/bids/mine",
                    headers={"authorization": f"Bearer {tokens[0]}"},
                )
                await client.post(bare.url + "/", content=b"warm-up")
                await client.post(stage.url + "/", content=b"warm-up")
            clear_dir(blob_tmp, prefix="bare-")
            clear_dir(stage_root, keep=stage_root / "tmp")
        platform_pub = b64u_decode(key["sign_pub"], length=32)
        if platform_pub != world.rt.platform.sign_pub:
            raise RuntimeError("the server's platform key differs from the world's key file")

        no_auth: list[dict[str, str]] = [{} for _ in sealed]
        runs: dict[str, list[Rush]] = {"bare": [], "stage": []}

        async def baselines(when: str) -> None:
            for round_no in range(args.baseline_runs):
                for server in (bare, stage):
                    say(
                        f"timed: firing {n} uploads at {server.name} ({when}, run"
                        f" {round_no + 1}); load {loadavg()}"
                    )
                    runs[server.name].append(
                        await rush(
                            server, server.url + "/", sealed, no_auth, seconds=max(window, 60.0)
                        )
                    )
                    if server is bare:
                        clear_dir(blob_tmp, prefix="bare-")
                    else:
                        clear_dir(stage_root, keep=stage_root / "tmp")

        await baselines("before")
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        if remaining > window:
            say(
                f"  waiting {remaining - window:.1f} s for the last {window:g} s"
                " before the deadline"
            )
            await asyncio.sleep(remaining - window)
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        say(
            f"timed: firing {n} uploads at the platform, {remaining:.1f} s before the deadline;"
            f" load {loadavg()}"
        )
        if remaining < window / 2:
            say("  setup overran its budget: raise --slack or --window")
        auth = [
            {"authorization": f"Bearer {t}", "x-bid-signature": s.signature}
            for t, s in zip(tokens, sealed, strict=True)
        ]
        url = f"{platform.url}/api/v1/lots/{lot.id}/bids"
        mine_url = f"{platform.url}/api/v1/lots/{lot.id}/bids/mine"
        probe_get = (mine_url, {"authorization": f"Bearer {tokens[0]}"})
        plat = await rush(platform, url, sealed, auth, seconds=max(remaining, 1.0), probe=probe_get)
        to_spare = (deadline - datetime.now(UTC)).total_seconds()
        say(f"  platform done: {len(plat.ok)}/{n} accepted, {to_spare:.1f} s before the deadline")
        leftovers = len(list(blob_tmp.iterdir()))  # staging files the platform left behind
        await baselines("after")
        for name in ("bare", "stage"):
            say(
                f"  {name} runs (before, after), MB/s: "
                + ", ".join(f"{r.mbps:.0f}" for r in runs[name])
            )

        # Offline receipt checks and the rows the platform stored.
        bad: list[str] = []
        for upload in plat.ok:
            receipt = upload.body.get("receipt") if isinstance(upload.body, dict) else None
            expect = sealed[upload.index]
            try:
                verify_receipt(receipt, platform_pub)
            except Exception as exc:  # report every bad receipt, then fail
                bad.append(f"bid {upload.index}: {exc}")
                continue
            assert isinstance(receipt, dict)
            if (
                receipt["ciphertext_sha256"],
                receipt["size"],
                receipt["bidder_id"],
                receipt["lot_id"],
            ) != (
                expect.ciphertext_sha256,
                expect.size,
                bidders[upload.index].uscc,
                f"lot-{lot.id}",
            ):
                bad.append(f"bid {upload.index}: receipt names another submission")
        async with world.rt.sessionmaker() as session:
            stored = await session.scalar(
                select(func.count(Bid.id)).where(
                    Bid.lot_id == lot.id, Bid.status == BidStatus.ACTIVE
                )
            )
        blobs = sum(
            1 for p in world.settings.blob_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"
        )
        summaries = [Summary.of(runs["bare"]), Summary.of(runs["stage"]), Summary.of([plat])]
        report(
            args,
            db,
            summaries,
            [plat, *runs["bare"], *runs["stage"]],
            bad,
            stored or 0,
            blobs,
            leftovers,
            to_spare,
        )
        failed = len(plat.ok) != n or bool(bad) or stored != n
        figures(args, db, summaries, lost=failed)
        if args.profile_server:
            procs.stop(platform)  # cProfile writes its file when the server exits
            print_profile(tmp / "platform.prof")
        if failed:
            say(f"--- {platform.name} log (tail) ---\n{platform.log_tail()}")
        return 1 if failed else 0
    finally:
        procs.stop_all()
        await world.close()


def report(
    args: argparse.Namespace,
    db: str,
    summaries: list[Summary],
    rushes: list[Rush],
    bad: list[str],
    stored: int,
    blobs: int,
    leftovers: int,
    to_spare: float,
) -> None:
    bare, stage, plat = summaries
    n = plat.sent
    rows = [
        [
            f"{s.name}" + (f" (median of {s.runs})" if s.runs > 1 else ""),
            str(s.sent),
            str(s.accepted),
            f"{s.first:.2f}",
            f"{s.p50:.2f}",
            f"{s.p99:.2f}",
            f"{s.mbps:.0f}",
            f"{s.wall:.2f}",
            f"{s.cpu:.1f}",
            f"{s.client_cpu:.1f}",
            f"{s.p99 / stage.p99:.2f}",
            f"{s.p99 / bare.p99:.2f}",
            f"{s.mbps / stage.mbps:.2f}",
        ]
        for s in (bare, stage, plat)
    ]
    say("")
    say(
        f"deadline rush — {db}, {n} bidders, {human_size(args.size)} attachment each, "
        f"127.0.0.1, load {loadavg()}, {os.cpu_count()} CPUs"
    )
    say(
        table(
            [
                "endpoint",
                "sent",
                "accepted",
                "first s",
                "p50 s",
                "p99 s",
                "MB/s",
                "wall s",
                "srv CPU s",
                "cli CPU s",
                "p99 ×stage",
                "p99 ×bare",
                "MB/s ×stage",
            ],
            rows,
        )
    )
    platform_rush = rushes[0]
    say(
        f"platform: {plat.accepted}/{n} accepted, {stored} active bid rows, {blobs} blobs stored, "
        f"{leftovers} staging leftovers, {plat.accepted - len(bad)}/{plat.accepted} receipts "
        f"verified offline, finished {to_spare:.1f} s before the deadline"
    )
    if platform_rush.probes:
        times = [t for _, t in platform_rush.probes]
        failed = sum(1 for status, _ in platform_rush.probes if status != 200)
        say(
            f"meanwhile another client's DB-backed GET (/bids/mine, every 0.25 s): "
            f"{len(times)} requests, p50 {percentile(times, 50):.2f} s, max {max(times):.2f} s, "
            f"{failed} failed"
        )
    for result in rushes:
        for what, count in result.failures().items():
            say(f"  {result.name}: {count} × {what}")
    for line in bad[:10]:
        say(f"  receipt problem: {line}")
    verdict = "accepted == sent" if plat.accepted == n and not bad else "ACCEPTED != SENT"
    say(
        f"\nsummary: deadline rush ({db}, {n} × {human_size(args.size)}, load {loadavg()}): "
        f"{plat.accepted}/{n} accepted ({verdict}), receipt p50 {plat.p50:.2f} s, "
        f"p99 {plat.p99:.2f} s ({plat.p99 / stage.p99:.2f}× staging, "
        f"{plat.p99 / bare.p99:.2f}× bare), {plat.mbps:.0f} MB/s "
        f"({plat.mbps / stage.mbps:.2f}× staging)"
    )


def figures(args: argparse.Namespace, db: str, summaries: list[Summary], *, lost: bool) -> None:
    bare, stage, plat = summaries
    what = f"deadline rush {plat.sent} × {human_size(args.size)} ({db})"
    emit(
        Figure(
            bench="deadline_rush",
            figure=f"{what}: receipt p99",
            value=plat.p99,
            unit="s",
            baseline=stage.p99,
            baseline_name="staging endpoint p99",
            target="≤ 1.5× staging",
            met=plat.p99 <= 1.5 * stage.p99,
        )
    )
    emit(
        Figure(
            bench="deadline_rush",
            figure=f"{what}: receipt p99 against a bare endpoint",
            value=plat.p99,
            unit="s",
            baseline=bare.p99,
            baseline_name="bare endpoint p99",
            target="",
            met=None,
        )
    )
    emit(
        Figure(
            bench="deadline_rush",
            figure=f"{what}: accepted / sent (receipts verified, rows stored)",
            value=float(plat.accepted),
            unit="bids",
            baseline=float(plat.sent),
            baseline_name="sent",
            target="zero loss",
            met=not lost,
        )
    )
    emit(
        Figure(
            bench="deadline_rush",
            figure=f"{what}: throughput",
            value=plat.mbps,
            unit="MB/s",
            baseline=stage.mbps,
            baseline_name="staging endpoint",
            target="",
            met=None,
        )
    )


def print_profile(path: Path) -> None:
    import io
    import pstats

    if not path.exists():
        say("(no server profile written)")
        return
    out = io.StringIO()
    pstats.Stats(str(path), stream=out).sort_stats("tottime").print_stats(25)
    say("\ncProfile of the platform server's event-loop thread (top by own time; SQLite")
    say("work runs in aiosqlite's thread and shows up as waiting, not here):")
    say("\n".join(out.getvalue().splitlines()[:50]))


def positive_size(text: str) -> int:
    size = parse_size(text)
    if not 1 <= size <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"size must be between 1 B and {human_size(MAX_SIZE)}")
    return size


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-bare"]:  # internal: a baseline server child
        serve_bare(int(argv[1]), Path(argv[2]), argv[3])
        return 0
    parser = argparse.ArgumentParser(
        description="N concurrent bidders upload sealed bids to a real bidhall server within "
        "the last minute before the deadline; compared with the same upload to an endpoint "
        "doing only the platform's blob staging, and to a bare streaming endpoint.",
        epilog="Honours BIDHALL_DATABASE_URL (PostgreSQL: a scratch database is created"
        " and dropped).",
    )
    parser.add_argument("--bidders", type=int, default=500, help="concurrent bidders (default 500)")
    parser.add_argument(
        "--size",
        type=positive_size,
        default=parse_size("5MB"),
        help="attachment size per bid, e.g. 5MB, 512KB (default 5MB)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=60.0,
        help="seconds before the deadline when the rush starts (default 60)",
    )
    parser.add_argument(
        "--slack",
        type=float,
        default=15.0,
        help="extra setup seconds budgeted before the window (default 15)",
    )
    parser.add_argument(
        "--seal-workers",
        type=int,
        default=2,
        help="processes sealing bids during setup (default 2)",
    )
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=1,
        help="rushes against each baseline before the platform's, and as many after; the"
        " median counts (default 1)",
    )
    parser.add_argument(
        "--profile-server",
        "--profile",
        dest="profile_server",
        action="store_true",
        help="run the platform server under cProfile and print where its time went "
        "(diagnosis only: the profiler slows the server)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="first of three consecutive ports (default: free ephemeral ports)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.bidders <= MAX_BIDDERS:
        parser.error(f"--bidders must be between 1 and {MAX_BIDDERS}")
    if not 1 <= args.baseline_runs <= 5:
        parser.error("--baseline-runs must be between 1 and 5")
    if not 1 <= args.window <= 600:
        parser.error("--window must be between 1 and 600 seconds")

    return run_bench(lambda tmp, procs: run(args, tmp, procs), "bidhall-rush-", say)


if __name__ == "__main__":
    sys.exit(main())
