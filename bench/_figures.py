"""One row per measured figure, collected by `make bench` (bench/all.py) into one table.

Every bench script calls `emit(...)` for each headline figure after its own detailed report.
With BIDHALL_BENCH_FIGURES set to a file path, rows are appended there as JSON lines; the
collector runs each script in its own process and reads the file back. A figure is compared
with a baseline measured in the same run (median of the runs before and after the platform
run) and, where the issue sets one, a target ratio or value.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

FIGURES_ENV = "BIDHALL_BENCH_FIGURES"


@dataclass(frozen=True)
class Figure:
    bench: str  # script name, e.g. "opening"
    figure: str  # what was measured, e.g. "opening 1000 × 64 KiB, HTTP release → record"
    value: float  # the platform's figure
    unit: str  # "s", "ms", "req/s", "MB/s"
    baseline: float | None  # same-run baseline in the same unit (None: no baseline applies)
    baseline_name: str  # e.g. "raw open_envelope"
    target: str  # human text, e.g. "≤ 1.5× raw"
    met: bool | None  # whether the target holds (None: no target)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


def median(values: Sequence[float]) -> float:
    """The baseline's value: the median of its runs before and after the platform run."""
    return float(statistics.median(values))


def emit(figure: Figure) -> None:
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(figure), ensure_ascii=False) + "\n")


def load(path: str) -> list[Figure]:
    try:
        with open(path, encoding="utf-8") as src:
            return [Figure(**json.loads(line)) for line in src if line.strip()]
    except FileNotFoundError:
        return []


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if value < 1 else f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def markdown(figures: Sequence[Figure]) -> str:
    rows = [
        "| bench | figure | value | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        base = f"{fmt(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "-"
        met = {True: "yes", False: "**no**", None: "-"}[f.met]
        rows.append(
            f"| {f.bench} | {f.figure} | {fmt(f.value, f.unit)} | {base} | {ratio} "
            f"| {f.target or '-'} | {met} |"
        )
    return "\n".join(rows)
