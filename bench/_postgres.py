"""A throwaway PostgreSQL server for `make bench` (the statistics bench also runs there).

The same steps as .ci/run: the newest installed server's initdb into a temp directory, trust
authentication, 127.0.0.1 on a free port; run as the `postgres` user when we are root (the
server refuses to run as root). Stopped and removed on exit.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _servers import free_port


def server_bin() -> Path | None:
    """The newest installed server's bin directory (Debian's layout), if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yields a SQLAlchemy URL (postgresql+asyncpg) of a fresh server's `bidhall` database
    name; the bench creates and drops its own scratch database next to it."""
    pg_bin = server_bin()
    if pg_bin is None:
        raise RuntimeError("no PostgreSQL server installed (apt-get install postgresql)")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="bidhall-bench-pg-"))
    if as_postgres:
        shutil.chown(data, "postgres")
    port = free_port()

    def run(*argv: str) -> None:
        subprocess.run([*as_postgres, *argv], check=True, stdout=subprocess.DEVNULL)

    try:
        run(str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        run(
            str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w",
            "-o", f"-k {data} -h 127.0.0.1 -p {port} -c max_connections=200", "start",
        )  # fmt: skip
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/bidhall"
        finally:
            run(str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(data, ignore_errors=True)
