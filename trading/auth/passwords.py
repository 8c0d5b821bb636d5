"""Password hashing with scrypt (memory-hard, in the standard library)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_N, _R, _P = 2**14, 8, 1
T = TypeVar("T")

# scrypt takes ~80 ms of CPU and 16 MiB; it runs in a pool of its own, off the event loop
# (hashlib releases the GIL), so a burst of sign-ins queues here: memory stays bounded and
# the default executor, shared by other work, stays free.
HASHING_WORKERS = max(2, os.cpu_count() or 2)
HASHING_POOL = ThreadPoolExecutor(max_workers=HASHING_WORKERS, thread_name_prefix="scrypt")


async def off_loop(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in the hashing pool: every request that hashes or verifies a password."""
    return await asyncio.get_running_loop().run_in_executor(HASHING_POOL, fn, *args)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=32,
    )
    return hmac.compare_digest(actual, base64.b64decode(digest))


# Checked against when the user does not exist, so both paths cost the same time.
DUMMY_HASH = hash_password(secrets.token_hex(8))
