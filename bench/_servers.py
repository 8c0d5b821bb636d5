"""Servers a bench starts on 127.0.0.1 as subprocesses: `bidhall serve` or a bare app under
the same uvicorn, their CPU seconds from /proc, readiness, and a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


# ---- processes we start ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def cpu_seconds(self) -> float:
        """utime + stime of the server process, from /proc/<pid>/stat."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_problems(self, lines: int = 40) -> str:
        """The first `lines` lines of the log that are not access lines (errors, tracebacks,
        warnings): what the server said while a request of ours failed."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        kept = [line for line in text if '" 2' not in line and '" 3' not in line]
        return "\n".join(kept[:lines]) or "(nothing but access lines)"

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Processes:
    servers: list[Server] = field(default_factory=list)

    def start(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path, port: int
    ) -> Server:
        log = cwd / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        server = Server(name, proc, f"http://{HOST}:{port}", log)
        self.servers.append(server)
        return server

    def stop(self, server: Server) -> None:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGINT)  # graceful; lets cProfile write its file
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)

    def stop_all(self) -> None:
        for server in self.servers:
            if server.proc.poll() is None:
                server.proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully
        for server in self.servers:
            try:
                server.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait(timeout=5)
        self.servers.clear()


async def wait_ready(server: Server, path: str, within: float = 90.0) -> None:
    import httpx

    give_up = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < give_up:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.name} server exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(server.url + path)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} server not ready after {within:.0f} s:\n{server.log_tail()}")


def bidhall_argv(port: int, profile: Path | None = None) -> list[str]:
    """`bidhall serve`, run as `python -m trading.cli` so it uses this checkout's code."""
    prof = ["-m", "cProfile", "-o", str(profile)] if profile is not None else []
    serve = ["serve", "--host", HOST, "--port", str(port)]
    return [sys.executable, *prof, "-m", "bidhall.cli", *serve]


def run_bench(
    run: Callable[[Path, Processes], Coroutine[Any, Any, int]],
    prefix: str,
    say: Callable[[str], None],
) -> int:
    """A bench's main: a temp dir and the servers it starts, both gone on exit, Ctrl-C or
    SIGTERM (130 when interrupted)."""
    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix=prefix))

    def on_term(_sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        return asyncio.run(run(tmp, procs))
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
