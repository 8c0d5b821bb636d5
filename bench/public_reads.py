"""Public read paths: anonymous portal, lot page and statistics API under 50 keep-alive clients.

    .venv/bin/python bench/public_reads.py [--seconds 10] [--clients 50] [--client auto|python|wrk]
                                   [--render-seconds 5]

What it does, in order:

1. builds a scratch world (SQLite in a temp dir; a throwaway PostgreSQL database when
   BIDHALL_DATABASE_URL names a PostgreSQL server) and loads the demo data the way
   `bidhall seed` does: centers, parties, the completed tenders and one live (announced) lot;
2. starts two servers on 127.0.0.1, each as a subprocess under the same uvicorn call:
     platform  `bidhall serve` on the scratch world (scheduler off)
     bare      a Litestar app with one trivial route (this file, `--serve-bare PORT`)
3. drives, for `--seconds` each with `--clients` concurrent keep-alive connections:
   bare `/` (before), platform `/`, `/lots/<the announced lot>`, `/api/v1/stats`,
   bare `/` (after). Each run is preceded by a short unmeasured warm-up. Then, as detail
   (`--render-seconds`), the same pages with a new URL per request (`?bust=<n>`, ignored by
   the routes), so none comes from the page cache: what rendering a page costs.

The load generator runs in its own process: `wrk` when it is installed (`--client auto`),
else a Python client on raw asyncio streams (HTTP/1.1 keep-alive, Content-Length or chunked
bodies). Every response must be a 200 with a non-empty body; anything else is counted as an
error and fails the bench (a cached error page would be a bug). Latency is per request, from
writing it to reading the whole body. `srv ms/req` is the server process's CPU per request.
The bare route's figures are the median of its runs before and after the platform's.
Everything started is stopped on exit, Ctrl-C or error; the temp dir is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _figures import Figure, emit, median
from _servers import HOST, Processes, Server, bidhall_argv, free_port, run_bench, wait_ready

if TYPE_CHECKING:
    from _world import Stopwatch, World

# The load generator child imports only the standard library (and uvloop): _world, which
# loads the whole platform, is imported by the functions of the parent that use it.

HERE = Path(__file__).resolve()
TARGET_RPS = 1000.0
TARGET_P99_MS = 50.0
WARM_UP = 1.0  # seconds of unmeasured load before each run
MAX_SECONDS = 120.0
MAX_CLIENTS = 1000


def say(text: str) -> None:
    print(text, flush=True)


# ---- the bare baseline server (a child process: `--serve-bare PORT`) ---------------------------


def bare_app() -> Any:
    """One trivial Litestar route: what the framework and uvicorn cost with no platform."""
    from litestar import Litestar, get

    @get("/", sync_to_thread=False)
    def hello() -> str:
        return "ok"

    return Litestar(route_handlers=[hello])


def serve_bare(port: int) -> None:
    import uvicorn

    # The same call `bidhall serve` makes (bidhall/cli.py), so only the app differs.
    uvicorn.run(bare_app(), host=HOST, port=port, log_level="info")


# ---- the load generator (a child process: `--drive URL SECONDS CLIENTS`) -----------------------


@dataclass
class Run:
    """One measured run: what the load generator reports."""

    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu: float = math.nan
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu / self.requests * 1000 if self.requests else math.nan


class BadResponse(Exception):
    pass


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    """The body after `head` (status line + headers): Content-Length or chunked."""
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        return await reader.readexactly(int(lower[at + 17 : end]))
    if b"\r\ntransfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(chunk[:-2])
    raise BadResponse("response with neither Content-Length nor chunked body")


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, as bench/_world.py's."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


async def drive(url: str, seconds: float, clients: int, bust: bool = False) -> dict[str, Any]:
    """`clients` connections, each sending GET after GET until `seconds` have passed.

    With `bust`, every request's URL is new (`?bust=<n>`, a parameter the routes ignore), so
    no response can come from the page cache: what a render costs."""
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    head_lines = (
        f" HTTP/1.1\r\nHost: {hostport}\r\nAccept: text/html,application/json\r\n"
        "User-Agent: bidhall-bench\r\n\r\n"
    )
    fixed = f"GET /{path}{head_lines}".encode()
    sent = 0

    def next_request() -> bytes:
        nonlocal sent
        sent += 1
        return f"GET /{path}?bust={sent}{head_lines}".encode() if bust else fixed

    latencies: list[float] = []
    errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()
    stop_at = started + seconds

    def fail(what: str) -> None:
        errors[what] = errors.get(what, 0) + 1

    async def client() -> None:
        while loop.time() < stop_at:
            try:
                reader, writer = await asyncio.open_connection(host, int(port))
            except OSError as exc:
                fail(type(exc).__name__)
                continue
            try:
                while loop.time() < stop_at:
                    t0 = time.perf_counter()
                    writer.write(next_request())
                    head = await reader.readuntil(b"\r\n\r\n")
                    body = await _read_body(reader, head)
                    latencies.append(time.perf_counter() - t0)
                    status = head[9:12]
                    if status != b"200":
                        fail(status.decode("latin-1"))
                    elif not body:
                        fail("empty body")
                    if b"\r\nconnection: close" in head.lower():
                        break
            except (OSError, asyncio.IncompleteReadError, BadResponse, ValueError) as exc:
                fail(type(exc).__name__)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = loop.time() - started
    ms = [x * 1000 for x in latencies] or [math.nan]
    return {
        "requests": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "seconds": elapsed,
        "p50_ms": _percentile(ms, 50),
        "p99_ms": _percentile(ms, 99),
        "max_ms": max(ms),
    }


def drive_main(url: str, seconds: float, clients: int, bust: bool) -> None:
    try:
        import uvloop  # the client must not be the bottleneck: uvloop when it is there
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    print(json.dumps(runner(drive(url, seconds, clients, bust))))


# wrk: per-thread counts of bad responses (not 200, or an empty body), gathered in done().
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or body == nil or #body == 0 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    total + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk_run(url: str, seconds: float, clients: int, script: Path) -> dict[str, Any]:
    threads = min(clients, max(1, (os.cpu_count() or 2) // 2))
    argv = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s"]
    out = subprocess.run(
        [*argv, "--timeout", "10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    requests, duration_us, errors, p50, p99, top = (int(x) for x in line.split()[1:])
    return {
        "requests": requests,
        "errors": errors,
        "error_kinds": {"bad": errors} if errors else {},
        "seconds": duration_us / 1e6,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "max_ms": top / 1000,
    }


class Driver:
    def __init__(self, kind: str, env: dict[str, str], tmp: Path) -> None:
        self.kind = kind
        self.env = env
        self.script = tmp / "bench.lua"
        if kind == "wrk":
            self.script.write_text(WRK_SCRIPT)

    def load(self, url: str, seconds: float, clients: int, bust: bool = False) -> dict[str, Any]:
        if self.kind == "wrk" and not bust:
            return wrk_run(url, seconds, clients, self.script)
        argv = [sys.executable, str(HERE), "--drive", url, str(seconds), str(clients)]
        argv += ["--bust"] if bust else []
        done = subprocess.run(
            argv, env=self.env, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"load generator failed:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    async def measure(
        self, name: str, server: Server, path: str, seconds: float, clients: int, bust: bool = False
    ) -> Run:
        url = server.url + path
        await asyncio.to_thread(self.load, url, WARM_UP, clients, bust)
        cpu0 = server.cpu_seconds()
        got = await asyncio.to_thread(self.load, url, seconds, clients, bust)
        cpu = server.cpu_seconds() - cpu0
        kinds = got.get("error_kinds") or {}
        run = Run(
            name=name,
            requests=got["requests"],
            errors=got["errors"],
            seconds=got["seconds"],
            p50_ms=got["p50_ms"],
            p99_ms=got["p99_ms"],
            max_ms=got["max_ms"],
            server_cpu=cpu,
            note=", ".join(f"{k}×{v}" for k, v in kinds.items()),
        )
        from _world import loadavg

        say(
            f"  {name:<28} {run.rps:8,.0f} req/s  p50 {run.p50_ms:6.1f} ms"
            f"  p99 {run.p99_ms:6.1f} ms  errors {run.errors}; load {loadavg()}"
        )
        return run


def pick_client(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--client wrk: wrk is not installed (apt-get install wrk)")
    return choice


# ---- the run -----------------------------------------------------------------------------------


async def demo_world(tmp: Path, watch: Stopwatch) -> tuple[World, int]:
    """The demo database `bidhall seed` loads; returns the world and its announced lot's id."""
    from _world import build_world

    from bidhall import demo
    from trading.kernel.clock import FixedClock

    now = datetime.now(UTC)
    # As `bidhall seed`: accounts first, dated before the history that uses them.
    clock = FixedClock(now - timedelta(days=40 * len(demo.HISTORY) + 1))
    with watch.phase("world (migrate + seed accounts)"):
        world = await build_world(tmp / "world", clock, say=say)
    try:
        clock.set(now)
        with watch.phase("demo history + live lot"):
            await demo.seed_history(world.rt, now, lambda _m: None)
            # A long margin: the lot stays announced for the whole run (scheduler off anyway).
            live = await demo.seed_live(world.rt, lambda _m: None, timedelta(hours=2))
    except BaseException:
        await world.close()
        raise
    return world, live.id


async def run(args: argparse.Namespace, tmp: Path, procs: Processes) -> int:
    import httpx
    from _world import Stopwatch, loadavg
    from sqlalchemy import func, select

    from trading.enums import LotState
    from trading.projects.models import Lot

    client_kind = pick_client(args.client)
    say(
        f"public read paths: {args.clients} keep-alive clients × {args.seconds:g} s per page,"
        f" load generator {client_kind}; load {loadavg()}"
    )
    watch = Stopwatch(say)
    world, lot_id = await demo_world(tmp, watch)
    try:
        db = "PostgreSQL" if world.pg_name else "SQLite"
        async with world.rt.sessionmaker() as session:
            lots = await session.scalar(select(func.count(Lot.id)))
            state = await session.scalar(select(Lot.state).where(Lot.id == lot_id))
        if state != LotState.ANNOUNCED:
            raise RuntimeError(f"lot {lot_id} is {state}, not announced")
        with watch.phase("start servers"):
            env = world.server_env()
            port, bare_port = free_port(), free_port()
            platform = procs.start("platform", bidhall_argv(port), env, tmp, port)
            bare = procs.start(
                "bare",
                [sys.executable, str(HERE), "--serve-bare", str(bare_port)],
                env,
                tmp,
                bare_port,
            )
            await asyncio.gather(wait_ready(platform, "/healthz"), wait_ready(bare, "/"))
        pages = {
            "portal /": "/",
            f"lot page /lots/{lot_id}": f"/lots/{lot_id}",
            "stats API /api/v1/stats": "/api/v1/stats",
        }
        async with httpx.AsyncClient(timeout=30) as http:
            for path in pages.values():
                r = await http.get(platform.url + path)
                if r.status_code != 200 or not r.content:
                    raise RuntimeError(
                        f"{path}: {r.status_code} before the run:\n{platform.log_tail()}"
                    )
        driver = Driver(client_kind, env, tmp)
        n, c = args.seconds, args.clients
        say(f"timed ({db}, {lots} lots):")
        bare_runs = [await driver.measure("bare route / (before)", bare, "/", n, c)]
        platform_runs = [await driver.measure(name, platform, p, n, c) for name, p in pages.items()]
        bare_runs.append(await driver.measure("bare route / (after)", bare, "/", n, c))
        # Detail, not a figure: every request a new URL, so every one is rendered (the
        # Core selects + template), as the first request after each expiry or write is.
        render_runs: list[Run] = [
            await driver.measure(f"{name} (no cache)", platform, p, args.render_seconds, c, True)
            for name, p in pages.items()
            if args.render_seconds > 0
        ]
    finally:
        procs.stop_all()
        await world.close()

    report(args, db, client_kind, bare_runs, platform_runs, render_runs)
    failed = [r for r in [*bare_runs, *platform_runs, *render_runs] if r.errors or not r.requests]
    for r in failed:
        say(f"FAILED: {r.name}: {r.errors} bad responses of {r.requests} ({r.note})")
    return 1 if failed else 0


def report(
    args: argparse.Namespace,
    db: str,
    client: str,
    bare: list[Run],
    platform: list[Run],
    renders: list[Run],
) -> None:
    rows = [
        [
            r.name,
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.1f}",
            f"{r.cpu_ms_per_request:.2f}",
            f"{r.requests:,}",
            str(r.errors),
        ]
        for r in [bare[0], *platform, bare[-1], *renders]
    ]
    from _world import table

    headers = ["run", "req/s", "p50 ms", "p99 ms", "max ms", "srv ms/req", "requests", "errors"]
    say("")
    say(table(headers, rows))
    base_rps = median([r.rps for r in bare])
    base_p99 = median([r.p99_ms for r in bare])
    say(
        f"\nbaseline (bare Litestar route, median of before/after): {base_rps:,.0f} req/s,"
        f" p99 {base_p99:.1f} ms; {db}; {args.clients} clients; load generator {client}"
        + ("; the (no cache) runs use the Python generator" if renders and client == "wrk" else "")
    )
    for r in platform:
        ok = not r.errors
        emit(
            Figure(
                bench="public_reads",
                figure=f"{r.name}, {args.clients} clients",
                value=r.rps,
                unit="req/s",
                baseline=base_rps,
                baseline_name="bare Litestar route",
                target="≥ 1,000 req/s",
                met=ok and r.rps >= TARGET_RPS,
            )
        )
        emit(
            Figure(
                bench="public_reads",
                figure=f"{r.name}, p99 latency, {args.clients} clients",
                value=r.p99_ms,
                unit="ms",
                baseline=base_p99,
                baseline_name="bare Litestar route",
                target="≤ 50 ms",
                met=ok and r.p99_ms <= TARGET_P99_MS,
            )
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-bare"]:  # internal: the baseline server child
        serve_bare(int(argv[1]))
        return 0
    if argv[:1] == ["--drive"]:  # internal: the load generator child
        drive_main(argv[1], float(argv[2]), int(argv[3]), "--bust" in argv[4:])
        return 0
    parser = argparse.ArgumentParser(
        description="Anonymous portal, lot page and statistics API under concurrent keep-alive"
        " clients, against a bare Litestar route under the same uvicorn.",
        epilog="Honours BIDHALL_DATABASE_URL (PostgreSQL: a scratch database is created"
        " and dropped).",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per run (default 10)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (50)")
    parser.add_argument(
        "--render-seconds",
        type=float,
        default=5.0,
        help="per page with every URL new, so nothing is cached (detail; 0 skips; default 5)",
    )
    parser.add_argument(
        "--client",
        choices=["auto", "python", "wrk"],
        default="auto",
        help="load generator: wrk if installed (auto), else the Python one",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS:g}")
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be between 1 and {MAX_CLIENTS}")

    return run_bench(lambda tmp, procs: run(args, tmp, procs), "bidhall-http-", say)


if __name__ == "__main__":
    sys.exit(main())
