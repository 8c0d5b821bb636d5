"""`bidhall keys upgrade`: an old (scrypt) key file rewritten in the format the browser reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from crypto.keys import load_identity

V1_FILE = Path(__file__).parents[2] / "crypto" / "vectors" / "identity-v1-scrypt.json"
V1_PASSPHRASE = "old cli passphrase 旧口令"


async def test_upgrade_rewrites_an_old_file_with_the_same_keys(
    bidhall: Any, tmp_path: Path
) -> None:
    key = tmp_path / "old.key"
    shutil.copy(V1_FILE, key)
    pw = tmp_path / "pw.txt"
    pw.write_text(V1_PASSPHRASE + "\n", encoding="utf-8")
    before = load_identity(key, V1_PASSPHRASE)

    ran = await bidhall("keys", "upgrade", "--key", str(key), "--passphrase-file", str(pw))
    assert ran.code == 0, ran.err
    assert "version 2" in ran.out
    doc = json.loads(key.read_text(encoding="utf-8"))
    assert doc["version"] == 2 and doc["kdf"]["name"] == "PBKDF2-SHA256"
    assert load_identity(key, V1_PASSPHRASE) == before
    assert key.stat().st_mode & 0o077 == 0

    again = await bidhall("keys", "upgrade", "--key", str(key), "--passphrase-file", str(pw))
    assert again.code == 0 and "already" in again.out


async def test_upgrade_with_a_wrong_passphrase_changes_nothing(
    bidhall: Any, tmp_path: Path
) -> None:
    key = tmp_path / "old.key"
    shutil.copy(V1_FILE, key)
    pw = tmp_path / "pw.txt"
    pw.write_text("not the passphrase\n", encoding="utf-8")
    ran = await bidhall("keys", "upgrade", "--key", str(key), "--passphrase-file", str(pw))
    assert ran.code == 2
    assert "wrong passphrase" in ran.err and len(ran.err.strip().splitlines()) == 1
    assert key.read_bytes() == V1_FILE.read_bytes()
