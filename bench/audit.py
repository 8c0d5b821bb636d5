"""Audit log at scale: heads, proofs, `audit verify` from a saved head and `check-chain`.

    .venv/bin/python bench/audit.py [--sizes 10000,100000,1000000] [--tail 100] [--new 1000]

Setup (not timed): a scratch world (bench/_world.py: SQLite in a temp dir, or a throwaway
PostgreSQL database when BIDHALL_DATABASE_URL names one), then the log is grown to each size
in turn. The bulk of the log is loaded the fast way, through the real hashing: each entry's
body is the canonical JSON (crypto.canonical) of an append-shaped record chained by SHA-256,
its leaf and every subtree it completes come from crypto.merkle.CompactRange, and they are
written 10,000 rows per INSERT instead of by 10^6 single appends. Everything timed below, and
every entry appended during the timed part, goes through the real code
(trading.audit.service.append, publish_tree_head, inclusion, consistency; the real server;
`bidhall audit verify` and `bidhall audit check-chain`).

Timed at each size:
  head          publish_tree_head after `--tail` new entries (the scheduler's path), and
                how long its write transaction held the log's lock; also publish_head inside
                a write transaction (the opening's path: all of it under the lock)
  proofs        an inclusion and a consistency proof through the service and over HTTP from
                `bidhall serve` on 127.0.0.1 (random seqs and sizes, median)
  verify        `audit verify` from the saved latest head after `--new` entries and a new
                head: in-process (bidding.client.verify_resume) and the CLI as a user runs it
                (a subprocess, Python start-up included), both with a supervisor token, so
                every new body and the hash chain are checked too; the full verify from
                zero (anonymous) up to --full-verify-max entries
  check-chain   `bidhall audit check-chain` as a subprocess: wall time and its peak RSS
                (VmHWM from /proc while it runs)

Baselines in the same run, before and after the platform runs (median): a bare `SELECT 1`
in a fresh session for the service figures, GET /healthz on the same server for the HTTP
ones, and SHA-256 (leaf hash and entry hash, as check-chain computes) over the same bodies,
streamed from the database with only the hashing timed, for check-chain.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

# Run as a script, bench/ is first on sys.path: siblings are modules.
from _figures import Figure, emit, median
from _servers import Processes, bidhall_argv, free_port, run_bench, wait_ready
from _world import Stopwatch, World, build_world, loadavg, table
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.client.verify import ApiClient, verify_log
from bidding.client.verify_resume import verify_since
from crypto.canonical import canonical_json
from crypto.merkle import GENESIS, CompactRange, leaf_of, root_nodes
from trading.audit import heads
from trading.audit import service as audit
from trading.audit.models import AuditEntry, AuditNode, TreeHead
from trading.audit.tree import read_nodes
from trading.auth.models import User
from trading.auth.service import issue_api_token
from trading.kernel import db
from trading.kernel.actor import SYSTEM
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime

T = TypeVar("T")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # as tests/conftest.py
LOAD_BATCH = 10_000
PROBES = 50  # proofs per figure
BASE_PROBES = 200
SUPERVISOR = "supervisor-450000"  # the top-level supervisor of the demo seed
TARGET_MS = 10.0
TARGET_VERIFY_S = 2.0
TARGET_RSS_MB = 200.0


def say(text_: str) -> None:
    print(text_, flush=True)


def ms(seconds: float) -> float:
    return seconds * 1000


# ---- the bulk load -----------------------------------------------------------------------------


async def bulk_load(rt: Runtime, target: int, at: datetime) -> int:
    """Grow the log to ``target`` entries: append-shaped bodies chained by SHA-256, leaves and
    subtrees from CompactRange, written in batches. Returns how many were added."""
    async with rt.sessionmaker() as session:
        size = await audit.log_size(session)
        last = await session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == size))
        edge_nodes = root_nodes(size)
        stored = await read_nodes(session, edge_nodes)
    if size >= target:
        return 0
    edge = CompactRange(size, [stored[n] for n in edge_nodes])
    prev = last or GENESIS
    rng = random.Random(size)
    stamp = at.isoformat()
    for start in range(size + 1, target + 1, LOAD_BATCH):
        entries: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for seq in range(start, min(target, start + LOAD_BATCH - 1) + 1):
            lot = 1 + seq % 9
            record = {
                "seq": seq,
                "at": stamp,
                "actor_id": SYSTEM.user_id,
                "actor": SYSTEM.name,
                "role": SYSTEM.role,
                "ip": SYSTEM.ip,
                "action": "bid.submit",
                "target": {"type": "lot", "id": str(lot)},
                "center_id": None,
                "detail": {
                    "bidder": rng.randbytes(32).hex(),
                    "sha256": rng.randbytes(32).hex(),
                    "size": rng.randrange(1 << 20, 1 << 30),
                    "version": 1,
                },
                "prev_hash": prev,
            }
            body = canonical_json(record)
            prev = hashlib.sha256(body).hexdigest()
            text_ = body.decode("utf-8")
            entries.append(
                {
                    "seq": seq,
                    "at": at,
                    "actor_id": SYSTEM.user_id,
                    "actor": SYSTEM.name,
                    "role": SYSTEM.role,
                    "ip": SYSTEM.ip,
                    "action": "bid.submit",
                    "target_type": "lot",
                    "target_id": str(lot),
                    "center_id": None,
                    "body": text_,
                    "entry_hash": prev,
                }
            )
            for (level, idx), h in edge.append(leaf_of(text_)):
                nodes.append({"level": level, "idx": idx, "hash": h})
        async with rt.sessionmaker() as session, writing(session):
            await session.execute(insert(AuditEntry.__table__), entries)
            await session.execute(insert(AuditNode.__table__), nodes)
    return target - size


async def append_real(rt: Runtime, clock: FixedClock, n: int, tag: str, per_txn: int = 100) -> None:
    """``n`` entries through trading.audit.service.append, ``per_txn`` per transaction."""
    for start in range(0, n, per_txn):
        async with rt.sessionmaker() as session, writing(session):
            for i in range(start, min(n, start + per_txn)):
                await audit.append(
                    session,
                    SYSTEM,
                    "bench.event",
                    "bench",
                    f"{tag}-{i}",
                    at=clock.now(),
                    detail={"i": i},
                )


# ---- measuring ---------------------------------------------------------------------------------


async def timed(fn: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    t0 = time.perf_counter()
    out = await fn()
    return time.perf_counter() - t0, out


async def select_one(rt: Runtime) -> float:
    """Median seconds of one `SELECT 1` in a fresh session (what any service call pays)."""

    async def once() -> None:
        async with rt.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    return statistics.median([(await timed(once))[0] for _ in range(BASE_PROBES)])


async def get_median(
    client: httpx.AsyncClient, url: str, params: Iterator[dict[str, Any]], k: int
) -> float:
    times: list[float] = []
    for _ in range(k):
        t0 = time.perf_counter()
        r = await client.get(url, params=next(params))
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    return statistics.median(times)


@contextmanager
def lock_timer() -> Iterator[list[float]]:
    """Seconds each write transaction of trading.audit.service lasted (the log's lock)."""
    held: list[float] = []
    real = audit.writing

    @asynccontextmanager
    async def timed_writing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
        async with db.writing(session):
            t0 = time.perf_counter()
            try:
                yield session
            finally:
                held.append(time.perf_counter() - t0)

    audit.writing = timed_writing  # type: ignore[assignment]
    try:
        yield held
    finally:
        audit.writing = real  # type: ignore[assignment]


async def raw_sha256(rt: Runtime) -> tuple[float, int]:
    """Seconds of hashlib alone over every body (leaf hash and entry hash), and their bytes;
    the bodies are streamed from the database in pages, reading them is not timed."""
    spent, total, after = 0.0, 0, 0
    async with rt.sessionmaker() as session:
        while True:
            bodies = (
                await session.execute(
                    select(AuditEntry.seq, AuditEntry.body)
                    .where(AuditEntry.seq > after)
                    .order_by(AuditEntry.seq)
                    .limit(5000)
                )
            ).all()
            if not bodies:
                return spent, total
            raw = [b.encode("utf-8") for _, b in bodies]
            t0 = time.perf_counter()
            for data in raw:
                hashlib.sha256(b"\x00" + data).digest()
                hashlib.sha256(data).hexdigest()
            spent += time.perf_counter() - t0
            total += sum(map(len, raw))
            after = bodies[-1].seq


def peak_rss(pid: int) -> int | None:
    """VmHWM of a running process (bytes): the high-water mark of its own address space."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, int, str, str]:
    """Wall seconds, peak RSS (bytes) of the program the child runs, stdout, stderr.

    The peak is VmHWM from /proc, read every 10 ms until the child exits (it only grows, so
    the last reading is the peak but for the final 10 ms): getrusage's ru_maxrss would not
    do, a forked child's counts the parent's pages it had before exec."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, peak_rss(proc.pid) or 0)
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[-3:])} failed: {stderr}")
    return wall, peak, stdout, stderr


@dataclass
class Row:
    size: int
    loaded: int
    load_s: float
    first_head_s: float
    select1: list[float] = field(default_factory=list)
    healthz: list[float] = field(default_factory=list)
    sha: list[float] = field(default_factory=list)
    sha_bytes: int = 0
    head: float = 0.0
    head_locked: float = 0.0
    head_in_txn: float = 0.0
    incl_service: float = 0.0
    cons_service: float = 0.0
    incl_http: float = 0.0
    cons_http: float = 0.0
    verify: float = 0.0
    verify_cli: float = 0.0
    cli_start: list[float] = field(default_factory=list)  # `bidhall --help`: start-up alone
    verify_full: float | None = None
    chain_s: float = 0.0
    chain_rss: int = 0
    chain_out: str = ""


async def supervisor_token(rt: Runtime, now: datetime) -> str:
    async with rt.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == SUPERVISOR))
        assert user is not None, "the demo seed has no top-level supervisor"
        return await issue_api_token(session, user, now=now, name="bench")


async def latest(rt: Runtime) -> TreeHead:
    async with rt.sessionmaker() as session:
        head = await heads.latest_head(session)
    assert head is not None
    return head


async def publish(rt: Runtime, clock: FixedClock) -> TreeHead:
    async with rt.sessionmaker() as session:
        return await heads.publish_tree_head(session, rt.platform, clock.now())


async def measure(
    world: World,
    row: Row,
    clock: FixedClock,
    args: argparse.Namespace,
    tmp: Path,
    procs: Processes,
    token: str,
) -> None:
    rt, rng = world.rt, random.Random(row.size)
    env = world.server_env()

    # check-chain first, alone on the machine (no server running yet).
    row.sha.append((await raw_sha256(rt))[0])
    argv = [sys.executable, "-m", "bidhall.cli", "audit", "check-chain"]
    row.chain_s, row.chain_rss, row.chain_out, _ = await asyncio.to_thread(run_child, argv, env)
    sha_after, row.sha_bytes = await raw_sha256(rt)
    row.sha.append(sha_after)

    # Heads and proofs through the service.
    row.select1.append(await select_one(rt))
    totals, locked = [], []
    for r in range(args.rounds):
        await append_real(rt, clock, args.tail, f"tail{row.size}-{r}")
        clock.advance(timedelta(minutes=5))
        with lock_timer() as held:
            seconds, _ = await timed(lambda: publish(rt, clock))
        totals.append(seconds)
        locked.append(sum(held))
    row.head, row.head_locked = statistics.median(totals), statistics.median(locked)
    in_txn = []
    for r in range(args.rounds):
        await append_real(rt, clock, args.tail, f"txn{row.size}-{r}")
        async with rt.sessionmaker() as session, writing(session):
            seconds, _ = await timed(lambda: heads.publish_head(session, rt.platform, clock.now()))
        in_txn.append(seconds)
    row.head_in_txn = statistics.median(in_txn)
    size = (await latest(rt)).tree_size

    async def service(fn: Callable[[AsyncSession], Awaitable[Any]]) -> float:
        async def once() -> None:
            async with rt.sessionmaker() as session:
                await fn(session)

        return statistics.median([(await timed(once))[0] for _ in range(PROBES)])

    row.incl_service = await service(lambda s: heads.inclusion(s, rng.randint(1, size), None))
    row.cons_service = await service(lambda s: heads.consistency(s, rng.randint(1, size), None))
    row.select1.append(await select_one(rt))

    # Over HTTP from the real server, and `audit verify` from a saved head.
    port = free_port()
    server = procs.start(f"platform-{row.size}", bidhall_argv(port), env, tmp, port)
    try:
        await wait_ready(server, "/healthz")
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:

            def same() -> Iterator[dict[str, Any]]:
                while True:
                    yield {}

            def seqs() -> Iterator[dict[str, Any]]:
                while True:
                    yield {"seq": rng.randint(1, size)}

            def firsts() -> Iterator[dict[str, Any]]:
                while True:
                    yield {"first": rng.randint(1, size)}

            await get_median(client, "/api/v1/audit/heads/latest", same(), 5)  # warm
            row.healthz.append(await get_median(client, "/healthz", same(), BASE_PROBES))
            row.incl_http = await get_median(
                client, "/api/v1/audit/proof/inclusion", seqs(), PROBES
            )
            row.cons_http = await get_median(
                client, "/api/v1/audit/proof/consistency", firsts(), PROBES
            )
            row.healthz.append(await get_median(client, "/healthz", same(), BASE_PROBES))

        saved = heads.head_json(await latest(rt))
        await append_real(rt, clock, args.new, f"new{row.size}")
        clock.advance(timedelta(minutes=5))
        new = await publish(rt, clock)
        assert new.tree_size == saved["tree_size"] + args.new

        def resume() -> Any:
            with ApiClient(server.url, token) as api:
                return verify_since(api, saved_heads=[saved], with_bodies=True)

        row.verify, (summary, _) = await timed(lambda: asyncio.to_thread(resume))
        assert summary.bodies_checked == args.new and summary.since == saved["tree_size"]
        heads_file = tmp / f"heads-{row.size}.json"
        heads_file.write_text(json.dumps([saved]))
        cli = [
            sys.executable, "-m", "bidhall.cli", "audit", "verify", "--url", server.url,
            "--heads", str(heads_file), "--token", token,
        ]  # fmt: skip
        start_up = [sys.executable, "-m", "bidhall.cli", "--help"]
        row.cli_start.append((await asyncio.to_thread(run_child, start_up, env))[0])
        row.verify_cli, _, out, _ = await asyncio.to_thread(run_child, cli, env)
        row.cli_start.append((await asyncio.to_thread(run_child, start_up, env))[0])
        assert f"after the saved head of size {saved['tree_size']}" in out, out
        if row.size <= args.full_verify_max:

            def full() -> Any:
                with ApiClient(server.url) as api:
                    return verify_log(api)

            row.verify_full, _ = await timed(lambda: asyncio.to_thread(full))
    finally:
        procs.stop(server)


# ---- the report --------------------------------------------------------------------------------


def report(rows: list[Row], dbname: str, args: argparse.Namespace) -> None:
    say("")
    say(f"audit log — {dbname}, load {loadavg()}")
    say(
        "(the bulk of each log is loaded in batches through the real canonical JSON, SHA-256"
        " chain and crypto.merkle tree functions, not by single appends; every timed entry,"
        " head and proof goes through the real code)"
    )
    say(
        table(
            [
                "entries",
                "load s",
                "1st head s",
                "SELECT 1 ms",
                "head ms",
                "locked ms",
                "in-txn ms",
                "incl ms",
                "cons ms",
                "/healthz ms",
                "incl HTTP",
                "cons HTTP",
            ],
            [
                [
                    f"{r.size:,}",
                    f"{r.load_s:.1f}",
                    f"{r.first_head_s:.2f}",
                    f"{ms(median(r.select1)):.2f}",
                    f"{ms(r.head):.2f}",
                    f"{ms(r.head_locked):.2f}",
                    f"{ms(r.head_in_txn):.2f}",
                    f"{ms(r.incl_service):.2f}",
                    f"{ms(r.cons_service):.2f}",
                    f"{ms(median(r.healthz)):.2f}",
                    f"{ms(r.incl_http):.2f}",
                    f"{ms(r.cons_http):.2f}",
                ]
                for r in rows
            ],
        )
    )
    say(
        f"head: publish_tree_head after {args.tail} new entries (median of {args.rounds});"
        " locked: its write transaction; in-txn: publish_head inside a write transaction."
    )
    say("")
    say(
        table(
            [
                "entries",
                f"verify +{args.new} s",
                "CLI s",
                "start-up s",
                "full verify s",
                "check-chain s",
                "raw SHA-256 s",
                "MB hashed",
                "chain RSS MB",
            ],
            [
                [
                    f"{r.size:,}",
                    f"{r.verify:.2f}",
                    f"{r.verify_cli:.2f}",
                    f"{median(r.cli_start):.2f}",
                    "-" if r.verify_full is None else f"{r.verify_full:.1f}",
                    f"{r.chain_s:.1f}",
                    f"{median(r.sha):.2f}",
                    f"{r.sha_bytes / 1e6:.0f}",
                    f"{r.chain_rss / 2**20:.0f}",
                ]
                for r in rows
            ],
        )
    )
    say(
        f"verify: from the saved latest head after {args.new} new entries, supervisor token"
        " (new bodies + chain); CLI: the same as a subprocess (start-up: `bidhall --help`"
        " alone, before and after); full: anonymous, from zero."
    )
    for r in rows:
        say(f"check-chain @ {r.size:,}: {r.chain_out.strip()}")


def figures(rows: list[Row], args: argparse.Namespace) -> None:
    big = rows[-1]
    n = f"{big.size:,}"
    for name, value, base, base_name in (
        (f"audit head at {n} entries (+{args.tail}, scheduler path)", big.head, big.select1,
         "SELECT 1"),
        (f"audit head at {n}: write lock held", big.head_locked, big.select1, "SELECT 1"),
        (f"inclusion proof at {n} (service)", big.incl_service, big.select1, "SELECT 1"),
        (f"consistency proof at {n} (service)", big.cons_service, big.select1, "SELECT 1"),
        (f"inclusion proof at {n} (HTTP)", big.incl_http, big.healthz, "GET /healthz"),
        (f"consistency proof at {n} (HTTP)", big.cons_http, big.healthz, "GET /healthz"),
    ):  # fmt: skip
        emit(Figure("audit", name, ms(value), "ms", ms(median(base)), base_name,
                    f"< {TARGET_MS:g} ms", ms(value) < TARGET_MS))  # fmt: skip
    start_up = median(big.cli_start)
    emit(
        Figure(
            "audit",
            f"`bidhall audit verify` from saved head, +{args.new} entries at {n}",
            big.verify_cli,
            "s",
            start_up,
            "`bidhall --help` start-up",
            f"< {TARGET_VERIFY_S:g} s beyond start-up",
            big.verify_cli - start_up < TARGET_VERIFY_S,
        )
    )
    emit(
        Figure(
            "audit",
            f"check-chain at {n} entries",
            big.chain_s,
            "s",
            median(big.sha),
            "raw SHA-256 of the bodies",
            "",
            None,
        )
    )
    for r in rows:
        rss = r.chain_rss / 2**20
        emit(
            Figure(
                "audit",
                f"check-chain peak RSS at {r.size:,} entries",
                rss,
                "MB",
                None,
                "",
                f"constant (≤ {TARGET_RSS_MB:g} MB at 10^6)",
                rss <= TARGET_RSS_MB,
            )
        )


def sizes_of(text_: str) -> list[int]:
    try:
        sizes = sorted({int(s.replace("_", "")) for s in text_.split(",") if s.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sizes must be integers: {text_}") from exc
    if not sizes or sizes[0] < 100 or sizes[-1] > 10_000_000:
        raise argparse.ArgumentTypeError("sizes must be between 100 and 10,000,000")
    return sizes


async def run(args: argparse.Namespace, tmp: Path, procs: Processes) -> int:
    clock = FixedClock(T0)
    watch = Stopwatch(say)
    say(f"audit bench: sizes {', '.join(f'{s:,}' for s in args.sizes)}")
    with watch.phase("scratch world (migrate + demo seed)"):
        world = await build_world(tmp / "world", clock, say=say)
    dbname = "PostgreSQL" if world.url.startswith("postgresql") else "SQLite"
    rows: list[Row] = []
    try:
        token = await supervisor_token(world.rt, datetime.now(UTC))  # the server reads real time
        for size in args.sizes:
            async with world.rt.sessionmaker() as session:
                have = await audit.log_size(session)
            target = max(size, have)
            with watch.phase(f"bulk load to {target:,} entries"):
                t0 = time.perf_counter()
                loaded = await bulk_load(world.rt, target, clock.now())
                load_s = time.perf_counter() - t0
            with watch.phase("first head over the bulk load (hashes the new bodies)"):
                first_head_s, head = await timed(lambda: publish(world.rt, clock))
            row = Row(head.tree_size, loaded, load_s, first_head_s)
            with watch.phase(f"measure at {head.tree_size:,}"):
                await measure(world, row, clock, args, tmp, procs, token)
            rows.append(row)
        report(rows, dbname, args)
        figures(rows, args)
        return 0
    finally:
        procs.stop_all()
        await world.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Audit log heads, proofs, incremental verify and check-chain at scale.",
        epilog="Honours BIDHALL_DATABASE_URL (PostgreSQL: a scratch database is created"
        " and dropped).",
    )
    parser.add_argument(
        "--sizes",
        type=sizes_of,
        default=sizes_of("10000,100000,1000000"),
        help="log sizes, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument("--tail", type=int, default=100, help="entries before each head (100)")
    parser.add_argument("--new", type=int, default=1000, help="entries before verify (1000)")
    parser.add_argument("--rounds", type=int, default=5, help="heads timed per size (5)")
    parser.add_argument(
        "--full-verify-max",
        type=int,
        default=100_000,
        help="also time a full verify from zero up to this size (default 100000)",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.tail <= 100_000 and 1 <= args.new <= 100_000 and 1 <= args.rounds <= 50):
        parser.error("--tail and --new must be 1..100000, --rounds 1..50")
    return run_bench(lambda tmp, procs: run(args, tmp, procs), "bidhall-audit-", say)


if __name__ == "__main__":
    sys.exit(main())
