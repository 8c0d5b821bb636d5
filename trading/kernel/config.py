"""Settings read from the environment (BIDHALL_*), one place for every knob."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_VAR = Path("var")


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_VAR / 'bidhall.db'}"
    blob_dir: Path = DEFAULT_VAR / "blobs"
    key_dir: Path = DEFAULT_VAR / "keys"
    # Web workers can run without the scheduler; exactly one process should run it.
    run_scheduler: bool = True
    # Prozorro-style accelerator for sandbox projects: periods are divided by this factor.
    sandbox_factor: int = 1440
    timezone: str = "Asia/Shanghai"
    session_days: int = 1
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Largest sealed bid accepted (multi-GB bids are normal for large works).
    max_bid_bytes: int = 8 * 1024**3
    # Per-center rule overrides, {"<division code>": {"<rule id>": value}}.
    rule_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    debug: bool = False
    # Worker processes that decrypt bids at an opening (X25519 holds the GIL, so threads would
    # share one core); started with the server. 0: decrypt in threads of the serving process.
    decrypt_processes: int = 2

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        base = cls()
        overrides = env.get("BIDHALL_RULE_OVERRIDES")
        return cls(
            database_url=env.get("BIDHALL_DATABASE_URL") or base.database_url,
            blob_dir=Path(env.get("BIDHALL_BLOB_DIR") or base.blob_dir),
            key_dir=Path(env.get("BIDHALL_KEY_DIR") or base.key_dir),
            run_scheduler=_bool(env.get("BIDHALL_RUN_SCHEDULER"), base.run_scheduler),
            sandbox_factor=int(env.get("BIDHALL_SANDBOX_FACTOR") or base.sandbox_factor),
            max_bid_bytes=int(env.get("BIDHALL_MAX_BID_BYTES") or base.max_bid_bytes),
            timezone=env.get("BIDHALL_TIMEZONE") or base.timezone,
            rule_overrides=json.loads(overrides) if overrides else {},
            debug=_bool(env.get("BIDHALL_DEBUG"), False),
            decrypt_processes=int(env.get("BIDHALL_DECRYPT_PROCESSES") or base.decrypt_processes),
        )
