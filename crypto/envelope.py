"""The sealed-envelope format (specified in docs/envelope.md): seal and open.

Structure after `age`: a header naming the sealed object and wrapping one random file
key per recipient (HPKE), a header MAC keyed from the file key, then a STREAM payload of
AES-256-GCM chunks whose nonces carry a counter and a last-chunk flag, so truncation,
reordering and appended data are detected. Memory stays at about two chunks whatever the
plaintext size.

This module is the format's public face: the header lives in :mod:`crypto.envelope_header`
and the payload chunking in :mod:`crypto.envelope_payload`; their names are re-exported
here so callers keep using ``envelope.X``.

Output written by :func:`open_envelope` is authenticated chunk by chunk but the *whole*
envelope is authentic only if the call returns; on any error the caller must discard what
was written. :func:`open_to_file` does that for files (temp file + rename on success).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from Crypto.Random import get_random_bytes

from crypto.envelope_header import (
    FILE_KEY_LEN,
    FORMAT_VERSION,
    HEADER_KEY_INFO,
    HPKE_INFO_PREFIX,
    MAC_LEN,
    MAGIC,
    MAX_HEADER_BODY,
    MAX_ID_BYTES,
    MAX_STANZAS,
    Header,
    Stanza,
    _binding,
    _build_header,
    _check_expectations,
    _check_id,
    _check_version,
    _header_key,
    check_file_key,
    read_header,
    unwrap_file_key,
)
from crypto.envelope_payload import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_LEN,
    PAYLOAD_KEY_INFO,
    TAG_LEN,
    _check_chunk_size,
    _new_nonce_prefix,
    _open_payload,
    _payload_key,
    _seal_payload,
)
from crypto.errors import (
    ChunkAuthError,
    EnvelopeMismatchError,
    HeaderError,
    HeaderMACError,
    NoStanzaError,
    ParameterError,
    PayloadError,
    StanzaError,
    TrailingDataError,
    TruncatedError,
)

__all__ = [
    # Format constants (docs/envelope.md).
    "DEFAULT_CHUNK_SIZE",
    "FILE_KEY_LEN",
    "FORMAT_VERSION",
    "HEADER_KEY_INFO",
    "HPKE_INFO_PREFIX",
    "MAC_LEN",
    "MAGIC",
    "MAX_CHUNK_SIZE",
    "MAX_HEADER_BODY",
    "MAX_ID_BYTES",
    "MAX_STANZAS",
    "MIN_CHUNK_SIZE",
    "NONCE_PREFIX_LEN",
    "PAYLOAD_KEY_INFO",
    "TAG_LEN",
    # Types, and the errors a caller may catch by name.
    "ChunkAuthError",
    "EnvelopeMismatchError",
    "Header",
    "HeaderError",
    "HeaderMACError",
    "NoStanzaError",
    "ParameterError",
    "PayloadError",
    "SealResult",
    "Stanza",
    "StanzaError",
    "TrailingDataError",
    "TruncatedError",
    # Private, but known-answer tests and tests/crypto/vectors reach them through here.
    "_binding",
    "_header_key",
    "_new_nonce_prefix",
    "_payload_key",
    "_seal_deterministic",
    # Sealing and opening.
    "check_file_key",
    "open_bytes",
    "open_envelope",
    "open_to_file",
    "open_with_file_key",
    "read_header",
    "seal",
    "seal_bytes",
    "unwrap_file_key",
]


@dataclass(frozen=True)
class SealResult:
    header: bytes
    header_sha256: str
    ciphertext_sha256: str  # over the whole sealed file: header and payload
    size: int  # sealed bytes
    plaintext_size: int


# --- sealing ---------------------------------------------------------------------------


def _seal(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    recipients: Sequence[tuple[str, bytes]],
    chunk_size: int,
    progress: Callable[[int], None] | None,
    file_key: bytes,
    nonce_prefix: bytes,
    eph_privs: Sequence[bytes] | None,
    min_chunk: int,
) -> SealResult:
    _check_id(lot_id, "lot id")
    _check_id(bidder_id, "bidder id")
    _check_version(version)
    _check_chunk_size(chunk_size, min_chunk)
    header = _build_header(
        lot_id=lot_id,
        bidder_id=bidder_id,
        version=version,
        chunk_size=chunk_size,
        nonce_prefix=nonce_prefix,
        recipients=recipients,
        file_key=file_key,
        eph_privs=eph_privs,
    )
    digest = hashlib.sha256(header)
    dst.write(header)
    payload_size, plain_total = _seal_payload(
        src,
        dst,
        key=_payload_key(file_key, nonce_prefix),
        nonce_prefix=nonce_prefix,
        chunk_size=chunk_size,
        hash_update=digest.update,
        progress=progress,
    )
    return SealResult(
        header=header,
        header_sha256=hashlib.sha256(header).hexdigest(),
        ciphertext_sha256=digest.hexdigest(),
        size=len(header) + payload_size,
        plaintext_size=plain_total,
    )


def seal(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    recipients: Sequence[tuple[str, bytes]],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> SealResult:
    """Seal ``src`` to each (label, X25519 public key) recipient, writing to ``dst``.

    ``progress`` is called with the cumulative plaintext byte count after each chunk.
    """
    return _seal(
        src,
        dst,
        lot_id=lot_id,
        bidder_id=bidder_id,
        version=version,
        recipients=recipients,
        chunk_size=chunk_size,
        progress=progress,
        file_key=get_random_bytes(FILE_KEY_LEN),
        nonce_prefix=_new_nonce_prefix(),
        eph_privs=None,
        min_chunk=_min_chunk_for_tests,
    )


def _seal_deterministic(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    recipients: Sequence[tuple[str, bytes]],
    file_key: bytes,
    nonce_prefix: bytes,
    eph_privs: Sequence[bytes],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> SealResult:
    """Seal with fixed randomness. Known-answer tests only: reusing inputs is fatal."""
    if len(file_key) != FILE_KEY_LEN or len(nonce_prefix) != NONCE_PREFIX_LEN:
        raise ParameterError("file key must be 32 bytes and nonce prefix 7 bytes")
    if len(eph_privs) != len(recipients):
        raise ParameterError("one ephemeral key per recipient")
    return _seal(
        src,
        dst,
        lot_id=lot_id,
        bidder_id=bidder_id,
        version=version,
        recipients=recipients,
        chunk_size=chunk_size,
        progress=None,
        file_key=file_key,
        nonce_prefix=nonce_prefix,
        eph_privs=eph_privs,
        min_chunk=_min_chunk_for_tests,
    )


def seal_bytes(
    plaintext: bytes,
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    recipients: Sequence[tuple[str, bytes]],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> bytes:
    out = io.BytesIO()
    seal(
        io.BytesIO(plaintext),
        out,
        lot_id=lot_id,
        bidder_id=bidder_id,
        version=version,
        recipients=recipients,
        chunk_size=chunk_size,
        _min_chunk_for_tests=_min_chunk_for_tests,
    )
    return out.getvalue()


# --- opening ---------------------------------------------------------------------------


def _open_payload_of(
    src: BinaryIO,
    dst: BinaryIO,
    header: Header,
    file_key: bytes,
    progress: Callable[[int], None] | None,
) -> int:
    return _open_payload(
        src,
        dst,
        key=_payload_key(file_key, header.nonce_prefix),
        nonce_prefix=header.nonce_prefix,
        chunk_size=header.chunk_size,
        progress=progress,
    )


def open_envelope(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    recipient_priv: bytes,
    expect_lot: str | None = None,
    expect_bidder: str | None = None,
    expect_version: int | None = None,
    progress: Callable[[int], None] | None = None,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> Header:
    """Decrypt ``src`` into ``dst`` with one recipient's X25519 private key.

    Only authenticated chunks are written, but if this raises, everything written so far
    must be discarded (the envelope as a whole is not authentic).
    """
    header = read_header(src, _min_chunk_for_tests=_min_chunk_for_tests)
    _check_expectations(header, expect_lot, expect_bidder, expect_version)
    file_key = unwrap_file_key(header, recipient_priv)
    _open_payload_of(src, dst, header, file_key, progress)
    return header


def open_with_file_key(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    file_key: bytes,
    expect_lot: str | None = None,
    expect_bidder: str | None = None,
    expect_version: int | None = None,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> Header:
    """Decrypt with the file key itself, as a bidder releases it at the opening (不见面开标):
    the key is checked against the header MAC before any chunk is opened."""
    header = read_header(src, _min_chunk_for_tests=_min_chunk_for_tests)
    _check_expectations(header, expect_lot, expect_bidder, expect_version)
    check_file_key(header, file_key)
    _open_payload_of(src, dst, header, file_key, None)
    return header


def open_bytes(
    envelope: bytes,
    *,
    recipient_priv: bytes,
    expect_lot: str | None = None,
    expect_bidder: str | None = None,
    expect_version: int | None = None,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> bytes:
    out = io.BytesIO()
    open_envelope(
        io.BytesIO(envelope),
        out,
        recipient_priv=recipient_priv,
        expect_lot=expect_lot,
        expect_bidder=expect_bidder,
        expect_version=expect_version,
        _min_chunk_for_tests=_min_chunk_for_tests,
    )
    return out.getvalue()


def open_to_file(
    src: BinaryIO,
    path: str | os.PathLike[str],
    *,
    recipient_priv: bytes,
    expect_lot: str | None = None,
    expect_bidder: str | None = None,
    expect_version: int | None = None,
    progress: Callable[[int], None] | None = None,
    _min_chunk_for_tests: int = MIN_CHUNK_SIZE,
) -> Header:
    """Open into ``path`` atomically: a temp file beside it is renamed only on success."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            header = open_envelope(
                src,
                out,
                recipient_priv=recipient_priv,
                expect_lot=expect_lot,
                expect_bidder=expect_bidder,
                expect_version=expect_version,
                progress=progress,
                _min_chunk_for_tests=_min_chunk_for_tests,
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return header
