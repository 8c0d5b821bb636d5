"""The envelope's STREAM payload (docs/envelope.md, *Payload*): AES-256-GCM chunks.

Each chunk's nonce is ``prefix || u32 counter || last-chunk flag``, so truncation,
reordering and appended data are detected. Both directions look one chunk ahead, so memory
stays at about two chunks whatever the plaintext size.

This is the lowest layer of the format: it knows nothing about the header, and the header
parser reuses :func:`_read_exact` from here.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import BinaryIO

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from Crypto.Random import get_random_bytes

from crypto.errors import (
    ChunkAuthError,
    ParameterError,
    PayloadError,
    TrailingDataError,
    TruncatedError,
)

MIN_CHUNK_SIZE = 1 << 20
MAX_CHUNK_SIZE = 64 << 20
DEFAULT_CHUNK_SIZE = 1 << 20
NONCE_PREFIX_LEN = 7
TAG_LEN = 16
_MAX_COUNTER = 0xFFFFFFFF  # the nonce holds a u32 chunk counter

# Domain-separation label (part of the format; see docs/envelope.md).
PAYLOAD_KEY_INFO = b"bidhall-envelope/1 payload"


def _check_chunk_size(chunk_size: object, minimum: int) -> int:
    if type(chunk_size) is not int or not minimum <= chunk_size <= MAX_CHUNK_SIZE:
        raise ParameterError(f"chunk size must be an int in {minimum}..{MAX_CHUNK_SIZE} bytes")
    return chunk_size


def _payload_key(file_key: bytes, nonce_prefix: bytes) -> bytes:
    return HKDF(file_key, 32, nonce_prefix, SHA256, context=PAYLOAD_KEY_INFO)  # type: ignore[return-value]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def _new_nonce_prefix() -> bytes:
    return get_random_bytes(NONCE_PREFIX_LEN)


def _read_exact(src: BinaryIO, n: int) -> bytes:
    """Read n bytes, or fewer only at end of stream (pipes may return short reads)."""
    data = src.read(n)
    if data is None:
        raise ParameterError("non-blocking streams are not supported")
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = src.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _seal_payload(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    key: bytes,
    nonce_prefix: bytes,
    chunk_size: int,
    hash_update: Callable[[bytes], None],
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    """Encrypt ``src`` to ``dst`` chunk by chunk; return (bytes written, plaintext bytes).

    Every written piece also goes to ``hash_update``, so the caller can hash the sealed
    file in the same pass.
    """
    written = 0
    plain_total = 0
    counter = 0
    buf = _read_exact(src, chunk_size)
    while True:
        # Look one chunk ahead: the last-chunk flag must be known before encrypting.
        nxt = _read_exact(src, chunk_size) if len(buf) == chunk_size else b""
        last = not nxt
        if counter > _MAX_COUNTER:
            raise ParameterError("plaintext too large for this chunk size")
        aes = AES.new(key, AES.MODE_GCM, nonce=_nonce(nonce_prefix, counter, last))
        ct, tag = aes.encrypt_and_digest(buf)
        hash_update(ct)
        hash_update(tag)
        dst.write(ct)
        dst.write(tag)
        written += len(ct) + TAG_LEN
        plain_total += len(buf)
        if progress is not None:
            progress(plain_total)
        if last:
            return written, plain_total
        buf = nxt
        counter += 1


def _decrypt(key: bytes, prefix: bytes, counter: int, last: bool, wire: bytes) -> bytes | None:
    aes = AES.new(key, AES.MODE_GCM, nonce=_nonce(prefix, counter, last))
    view = memoryview(wire)  # no 1 MiB copy for the slice
    try:
        return aes.decrypt_and_verify(view[:-TAG_LEN], view[-TAG_LEN:])
    except ValueError:
        return None


def _open_payload(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    key: bytes,
    nonce_prefix: bytes,
    chunk_size: int,
    progress: Callable[[int], None] | None,
) -> int:
    """Decrypt the payload into ``dst``; return the plaintext byte count.

    Only authenticated chunks are written, but the caller must discard them if this raises.
    """
    wire_size = chunk_size + TAG_LEN
    counter = 0
    total = 0
    buf = _read_exact(src, wire_size)
    while True:
        if len(buf) < TAG_LEN:
            # Nothing (or less than a tag) where a chunk must be: the final chunk is missing.
            raise TruncatedError("payload truncated")
        nxt = _read_exact(src, wire_size) if len(buf) == wire_size else b""
        at_end = not nxt
        plain = _decrypt(key, nonce_prefix, counter, at_end, buf)
        if plain is None:
            # Tell the attacks apart; the alternative flag only ever reports, never writes.
            if _decrypt(key, nonce_prefix, counter, not at_end, buf) is not None:
                if at_end:
                    raise TruncatedError("payload truncated")
                raise TrailingDataError("trailing data after final chunk")
            raise ChunkAuthError(f"chunk {counter} failed authentication")
        if at_end and not plain and counter > 0:
            raise PayloadError("empty final chunk after data (non-canonical envelope)")
        dst.write(plain)
        total += len(plain)
        if progress is not None:
            progress(total)
        if at_end:
            return total
        buf = nxt
        counter += 1
        if counter > _MAX_COUNTER:
            raise PayloadError("payload has too many chunks")
