"""The platform's own identity: signs receipts, tree heads and opening records."""

from __future__ import annotations

import os
from pathlib import Path

from crypto.keys import Identity, generate_identity, load_identity, save_identity

DEV_PASSPHRASE = "bidhall-dev-platform-key"


def platform_identity(key_dir: Path) -> Identity:
    """Load the platform key, creating it on first start (dev/demo); keep the file safe."""
    passphrase = os.environ.get("BIDHALL_PLATFORM_PASSPHRASE", DEV_PASSPHRASE)
    path = key_dir / "platform.key"
    if not path.exists():
        key_dir.mkdir(parents=True, exist_ok=True)
        save_identity(generate_identity(), path, passphrase)
    return load_identity(path, passphrase)
