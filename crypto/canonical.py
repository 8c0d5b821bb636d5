"""Canonical JSON: the one byte encoding that every signature and audit hash is taken over."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from crypto.errors import EncodingError


def _normalise(obj: Any, path: str) -> Any:
    # bool is an int subclass; check it first so True stays true rather than 1.
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        # Floats have no single decimal spelling; money and scores must be Decimal.
        raise EncodingError(f"float at {path} is not allowed in canonical JSON; use Decimal")
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise EncodingError(f"non-finite Decimal at {path}")
        return str(obj)
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise EncodingError(f"non-string key {key!r} at {path}")
            out[key] = _normalise(value, f"{path}.{key}")
        return out
    if isinstance(obj, list | tuple):
        return [_normalise(v, f"{path}[{i}]") for i, v in enumerate(obj)]
    raise EncodingError(f"{type(obj).__name__} at {path} is not JSON-serialisable")


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not ASCII-escaped); Decimal as string; no floats."""
    text = json.dumps(
        _normalise(obj, "$"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8
        raise EncodingError(f"string is not valid Unicode: {exc.reason}") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
