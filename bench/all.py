"""`make bench`: every bench in its own process, then one table of figures against targets.

    .venv/bin/python bench/all.py [--quick] [--only opening,http] [--markdown FILE]

Each script prints its own detailed report as it runs (passed through here) and emits its
headline figures (bench/_figures.py); this collects them into one table: figure, value,
same-run baseline, ratio, target, met. --quick runs each bench at a small size to check the
harness (figures then say nothing about the targets). Exit status 1 if a bench fails or a
figure misses its target.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _figures import FIGURES_ENV, load, markdown

HERE = Path(__file__).resolve().parent

# name -> (full-size arguments, quick arguments); in the order they run. A name ending in
# "@postgres" runs its script against a throwaway PostgreSQL server (bench/_postgres.py)
# unless BIDHALL_DATABASE_URL already names one.
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "opening": ([], ["--bids", "100"]),
    "deadline_rush": ([], ["--bidders", "50", "--size", "1MB", "--window", "10", "--slack", "5"]),
    "audit": ([], ["--sizes", "10000"]),
    "stats_scopes": ([], ["--lots", "20000", "--runs", "2"]),
    "stats_scopes@postgres": ([], ["--lots", "20000", "--runs", "2"]),
    "public_reads": ([], ["--seconds", "3", "--render-seconds", "1"]),
    "scoring": ([], ["--bids", "20", "--experts", "5", "--criteria", "10"]),
}
POSTGRES = "@postgres"


def run_one(name: str, args: list[str], env: dict[str, str]) -> int:
    script, _, where = name.partition("@")
    cmd = [sys.executable, str(HERE / f"{script}.py"), *args]
    print(f"\n==> {' '.join(cmd[1:])}" + (f" (on {where})" if where else ""), flush=True)
    if not where or env.get("BIDHALL_DATABASE_URL", "").startswith("postgres"):
        return subprocess.call(cmd, env=env, cwd=HERE.parent)
    from _postgres import server_bin, throwaway_postgres

    if server_bin() is None:
        print("no PostgreSQL server installed: apt-get install postgresql", flush=True)
        return 1
    with throwaway_postgres() as url:
        return subprocess.call(cmd, env={**env, "BIDHALL_DATABASE_URL": url}, cwd=HERE.parent)


def machine() -> str:
    cpus = os.cpu_count() or 0
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // (1 << 20)
    except (OSError, ValueError, IndexError):
        mem = 0
    return f"{platform.machine()}, {cpus} cores, {mem} GiB, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: check the harness")
    parser.add_argument("--only", default="", help="comma-separated bench names to run")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; known: {', '.join(BENCHES)}")

    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bidhall-bench-") as tmp:
        figures_file = str(Path(tmp) / "figures.jsonl")
        env = {**os.environ, FIGURES_ENV: figures_file}
        for name in names:
            full, quick = BENCHES[name]
            t0 = time.perf_counter()
            code = run_one(name, quick if args.quick else full, env)
            print(f"<== {name}: exit {code} in {time.perf_counter() - t0:.0f} s", flush=True)
            if code != 0:
                failed.append(name)
        figures = load(figures_file)

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    db = (
        "PostgreSQL"
        if os.environ.get("BIDHALL_DATABASE_URL", "").startswith("postgres")
        else f"SQLite ({', '.join(n for n in names if POSTGRES in n) or 'nothing'} on PostgreSQL)"
    )
    title = f"bidhall benchmarks — {stamp}; {machine()}; {db}" + (
        " (--quick)" if args.quick else ""
    )
    table = markdown(figures)
    print(f"\n{title}\n\n{table}\n")
    if args.markdown is not None:
        args.markdown.write_text(f"{title}\n\n{table}\n", encoding="utf-8")
    missed = [f.figure for f in figures if f.met is False]
    if failed:
        print(f"benches that failed: {', '.join(failed)}")
    if missed and not args.quick:
        print(f"figures that miss their target: {len(missed)}")
    return 1 if failed or (missed and not args.quick) else 0


if __name__ == "__main__":
    sys.exit(main())
