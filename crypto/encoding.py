"""Text encodings used in every JSON-facing structure of the crypto package.

Rule, applied everywhere: SHA-256 digests and Merkle hashes are lowercase hex;
all other binary values (keys, signatures, nonces, ciphertexts) are base64url without
padding (the encoding JWK uses, so browsers can import keys directly).
"""

from __future__ import annotations

import base64
import binascii
import re

from crypto.errors import EncodingError

_B64U_RE = re.compile(r"^[A-Za-z0-9_-]*$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Strictly decode unpadded base64url; optionally require an exact byte length."""
    if not isinstance(text, str) or not _B64U_RE.match(text) or len(text) % 4 == 1:
        raise EncodingError(f"{what} is not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Reject non-canonical encodings (stray low bits), so each value has one spelling.
    if b64u_encode(data) != text:
        raise EncodingError(f"{what} is not canonical base64url")
    if length is not None and len(data) != length:
        raise EncodingError(f"{what} must be {length} bytes, got {len(data)}")
    return data


def hex_digest_decode(text: str, *, what: str = "digest") -> bytes:
    """Decode a 64-character lowercase hex SHA-256 digest."""
    if not isinstance(text, str) or not _HEX64_RE.match(text):
        raise EncodingError(f"{what} must be 64 lowercase hex characters")
    try:
        return binascii.unhexlify(text)
    except binascii.Error as exc:  # pragma: no cover - regex already guards this
        raise EncodingError(f"{what} is not hex") from exc


def is_hex_digest(text: object) -> bool:
    return isinstance(text, str) and bool(_HEX64_RE.match(text))
