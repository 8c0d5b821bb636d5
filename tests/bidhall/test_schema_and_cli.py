"""Migrations match the models; an old schema stops start-up with one line; CLI errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bidhall.metadata import metadata
from bidhall.migrate import SchemaOutOfDate, ensure_migrated
from trading.kernel.db import make_engine
from trading.kernel.runtime import Runtime


async def test_migrations_produce_exactly_the_models(rt: Runtime) -> None:
    async with rt.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    assert diff == []


async def test_unmigrated_database_refused_with_the_command_to_run(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    try:
        with pytest.raises(SchemaOutOfDate) as info:
            await ensure_migrated(engine, url)
    finally:
        await engine.dispose()
    assert "bidhall db upgrade" in str(info.value.code)


def bidhall(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bidhall.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_cli_on_unmigrated_database_prints_one_line(tmp_path: Path) -> None:
    result = bidhall(
        "audit",
        "check-chain",
        env={
            "BIDHALL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
            "BIDHALL_KEY_DIR": str(tmp_path / "keys"),
            "BIDHALL_BLOB_DIR": str(tmp_path / "b"),
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "bidhall db upgrade" in result.stderr


def test_cli_evaluate_recomputes_and_rejects_bad_input(tmp_path: Path) -> None:
    doc = {
        "method": "low_price",
        "params": {"price_weight": "1"},
        "bids": [
            {"bid_id": "a", "bidder": "甲", "price": "100.00"},
            {"bid_id": "b", "bidder": "乙", "price": "80.00"},
        ],
    }
    good = tmp_path / "in.json"
    good.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = bidhall("evaluate", str(good))
    assert result.returncode == 0, result.stderr
    ranking = json.loads(result.stdout)
    assert [b["bid_id"] for b in ranking["bids"]] == ["b", "a"]
    doc["bids"][0]["price"] = 100.5  # a float: amounts must be exact strings
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    result = bidhall("evaluate", str(bad))
    assert result.returncode == 2 and "bids[0].price" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = bidhall("evaluate", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_metadata_module_alone_knows_every_table() -> None:
    """Alembic's env imports only bidhall.metadata: it must pull in every package's tables."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bidhall.metadata import metadata; print(sorted(metadata.tables))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert probe.stdout.strip() == str(sorted(metadata.tables))
