"""The sealed-envelope format (specified in docs/envelope.md).

Structure after `age`: a header naming the sealed object and wrapping one random file
key per recipient (HPKE), a header MAC keyed from the file key, then a STREAM payload of
AES-256-GCM chunks whose nonces carry a counter and a last-chunk flag, so truncation,
reordering and appended data are detected. Memory stays at about two chunks whatever the
plaintext size.

Output written by :func:`open_envelope` is authenticated chunk by chunk but the *whole*
envelope is authentic only if the call returns; on any error the caller must discard what
was written. :func:`open_to_file` does that for files (temp file + rename on success).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import re
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from Crypto.Random import get_random_bytes

from crypto import _hpke
from crypto.encoding import b64u_encode
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
from crypto.keys import check_x25519_public, x25519_public

MAGIC = b"BHSEAL"
FORMAT_VERSION = 1
MIN_CHUNK_SIZE = 1 << 20
MAX_CHUNK_SIZE = 64 << 20
DEFAULT_CHUNK_SIZE = 1 << 20
MAX_HEADER_BODY = 64 << 10
MAX_STANZAS = 16
MAX_ID_BYTES = 256
FILE_KEY_LEN = 32
NONCE_PREFIX_LEN = 7
TAG_LEN = 16
MAC_LEN = 32
_FIXED_LEN = len(MAGIC) + 2 + 4  # magic, format version, header body length
_STANZA_FIXED = 32 + _hpke.ENC_LEN + FILE_KEY_LEN + TAG_LEN  # fingerprint, enc, wrapped key

# Domain-separation labels (part of the format; see docs/envelope.md).
HPKE_INFO_PREFIX = b"bidhall-envelope/1 file-key"
HEADER_KEY_INFO = b"bidhall-envelope/1 header"
PAYLOAD_KEY_INFO = b"bidhall-envelope/1 payload"

_LABEL_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class Stanza:
    """One recipient's copy of the file key, wrapped with HPKE."""

    label: str  # e.g. "opening" (the lot's opening key) or "bidder"
    fingerprint: bytes  # SHA-256 of the recipient's raw X25519 public key
    enc: bytes  # HPKE encapsulated key (ephemeral X25519 public key)
    wrapped_key: bytes  # AES-256-GCM(file key) || tag

    def to_dict(self) -> dict[str, str]:
        return {
            "label": self.label,
            "fingerprint": self.fingerprint.hex(),
            "enc": b64u_encode(self.enc),
            "wrapped_key": b64u_encode(self.wrapped_key),
        }


@dataclass(frozen=True)
class Header:
    format_version: int
    lot_id: str
    bidder_id: str
    version: int  # the bidder's submission version for this lot (1, 2, ...)
    chunk_size: int
    nonce_prefix: bytes
    stanzas: tuple[Stanza, ...]
    raw: bytes  # the exact header bytes, MAC included

    @property
    def mac(self) -> bytes:
        return self.raw[-MAC_LEN:]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.stanzas)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "lot_id": self.lot_id,
            "bidder_id": self.bidder_id,
            "version": self.version,
            "chunk_size": self.chunk_size,
            "nonce_prefix": b64u_encode(self.nonce_prefix),
            "stanzas": [s.to_dict() for s in self.stanzas],
            "header_sha256": self.sha256,
        }


@dataclass(frozen=True)
class SealResult:
    header: bytes
    header_sha256: str
    ciphertext_sha256: str  # over the whole sealed file: header and payload
    size: int  # sealed bytes
    plaintext_size: int


# --- encoding helpers -----------------------------------------------------------------


def _binding(lot_id: str, bidder_id: str, version: int) -> bytes:
    """The header's identity fields, encoded exactly as at the start of the header body."""
    lot = lot_id.encode("utf-8")
    bidder = bidder_id.encode("utf-8")
    return (
        struct.pack(">H", len(lot)) + lot + struct.pack(">H", len(bidder)) + bidder
    ) + struct.pack(">I", version)


def _stanza_aad(label: str, fingerprint: bytes) -> bytes:
    raw = label.encode("ascii")
    return bytes([len(raw)]) + raw + fingerprint


def _header_key(file_key: bytes) -> bytes:
    return HKDF(file_key, 32, b"", SHA256, context=HEADER_KEY_INFO)  # type: ignore[return-value]


def _payload_key(file_key: bytes, nonce_prefix: bytes) -> bytes:
    return HKDF(file_key, 32, nonce_prefix, SHA256, context=PAYLOAD_KEY_INFO)  # type: ignore[return-value]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def _new_nonce_prefix() -> bytes:
    return get_random_bytes(NONCE_PREFIX_LEN)


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{what} must be a non-empty string")
    if len(value.encode("utf-8")) > MAX_ID_BYTES:
        raise ParameterError(f"{what} is longer than {MAX_ID_BYTES} UTF-8 bytes")
    return value


def _check_version(version: object) -> int:
    if type(version) is not int or not 1 <= version <= 0xFFFFFFFF:
        raise ParameterError("submission version must be an int in 1..2**32-1")
    return version


def _check_chunk_size(chunk_size: object, minimum: int) -> int:
    if type(chunk_size) is not int or not minimum <= chunk_size <= MAX_CHUNK_SIZE:
        raise ParameterError(f"chunk size must be an int in {minimum}..{MAX_CHUNK_SIZE} bytes")
    return chunk_size


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


# --- sealing ---------------------------------------------------------------------------


def _build_header(
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    chunk_size: int,
    nonce_prefix: bytes,
    recipients: Sequence[tuple[str, bytes]],
    file_key: bytes,
    eph_privs: Sequence[bytes] | None,
) -> bytes:
    if not recipients:
        raise ParameterError("at least one recipient is required")
    if len(recipients) > MAX_STANZAS:
        raise ParameterError(f"at most {MAX_STANZAS} recipients")
    seen: set[bytes] = set()
    binding = _binding(lot_id, bidder_id, version)
    info = HPKE_INFO_PREFIX + binding
    stanzas = bytearray()
    for i, recipient in enumerate(recipients):
        label, pub = recipient
        if not isinstance(label, str) or not _LABEL_RE.match(label):
            raise ParameterError(f"recipient label {label!r} must match {_LABEL_RE.pattern}")
        pub = check_x25519_public(pub, f"recipient {label!r} public key")
        if pub in seen:
            raise ParameterError(f"recipient {label!r} public key given twice")
        seen.add(pub)
        fingerprint = hashlib.sha256(pub).digest()
        aad = _stanza_aad(label, fingerprint)
        eph = None if eph_privs is None else eph_privs[i]
        enc, wrapped = _hpke.seal(pub, info, aad, file_key, eph_priv=eph)
        stanzas += aad + enc + wrapped
    body = (
        binding
        + struct.pack(">I", chunk_size)
        + nonce_prefix
        + bytes([len(recipients)])
        + bytes(stanzas)
    )
    if len(body) > MAX_HEADER_BODY:
        raise ParameterError("header too large")
    head = MAGIC + struct.pack(">HI", FORMAT_VERSION, len(body)) + body
    return head + hmac.new(_header_key(file_key), head, hashlib.sha256).digest()


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
    size = len(header)
    key = _payload_key(file_key, nonce_prefix)
    plain_total = 0
    counter = 0
    buf = _read_exact(src, chunk_size)
    while True:
        # Look one chunk ahead: the last-chunk flag must be known before encrypting.
        nxt = _read_exact(src, chunk_size) if len(buf) == chunk_size else b""
        last = not nxt
        if counter > 0xFFFFFFFF:
            raise ParameterError("plaintext too large for this chunk size")
        aes = AES.new(key, AES.MODE_GCM, nonce=_nonce(nonce_prefix, counter, last))
        ct, tag = aes.encrypt_and_digest(buf)
        digest.update(ct)
        digest.update(tag)
        dst.write(ct)
        dst.write(tag)
        size += len(ct) + TAG_LEN
        plain_total += len(buf)
        if progress is not None:
            progress(plain_total)
        if last:
            break
        buf = nxt
        counter += 1
    return SealResult(
        header=header,
        header_sha256=hashlib.sha256(header).hexdigest(),
        ciphertext_sha256=digest.hexdigest(),
        size=size,
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


# --- parsing and opening ---------------------------------------------------------------


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise HeaderError(f"malformed header: {what} runs past the header end")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int(struct.unpack(">H", self.take(2, what))[0])

    def u32(self, what: str) -> int:
        return int(struct.unpack(">I", self.take(4, what))[0])

    def text(self, n: int, what: str) -> str:
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HeaderError(f"malformed header: {what} is not UTF-8") from exc


def read_header(src: BinaryIO, *, _min_chunk_for_tests: int = MIN_CHUNK_SIZE) -> Header:
    """Parse the header and leave ``src`` at the payload. Nothing is authenticated yet:
    the MAC needs the file key and is checked by :func:`open_envelope`."""
    fixed = _read_exact(src, _FIXED_LEN)
    if len(fixed) < len(MAGIC) or fixed[: len(MAGIC)] != MAGIC:
        raise HeaderError("not a bidhall envelope (bad magic)")
    if len(fixed) < _FIXED_LEN:
        raise HeaderError("header truncated")
    fmt, body_len = struct.unpack(">HI", fixed[len(MAGIC) :])
    if fmt != FORMAT_VERSION:
        raise HeaderError(f"unsupported envelope format version {fmt}")
    if body_len > MAX_HEADER_BODY:
        raise HeaderError(f"malformed header: length {body_len} exceeds {MAX_HEADER_BODY}")
    rest = _read_exact(src, body_len + MAC_LEN)
    if len(rest) < body_len + MAC_LEN:
        raise HeaderError("header truncated")
    cur = _Cursor(rest[:body_len])
    lot_id = cur.text(cur.u16("lot id length"), "lot id")
    bidder_id = cur.text(cur.u16("bidder id length"), "bidder id")
    if not lot_id or not bidder_id:
        raise HeaderError("malformed header: empty lot or bidder id")
    version = cur.u32("submission version")
    if version == 0:
        raise HeaderError("malformed header: submission version 0")
    chunk_size = cur.u32("chunk size")
    if not _min_chunk_for_tests <= chunk_size <= MAX_CHUNK_SIZE:
        raise HeaderError(f"malformed header: chunk size {chunk_size} out of range")
    nonce_prefix = cur.take(NONCE_PREFIX_LEN, "nonce prefix")
    count = cur.u8("stanza count")
    if not 1 <= count <= MAX_STANZAS:
        raise HeaderError(f"malformed header: {count} stanzas (1..{MAX_STANZAS} allowed)")
    stanzas = []
    for i in range(count):
        label_len = cur.u8(f"stanza {i} label length")
        label = cur.text(label_len, f"stanza {i} label")
        if not _LABEL_RE.match(label):
            raise HeaderError(f"malformed header: stanza {i} label {label!r}")
        fields = cur.take(_STANZA_FIXED, f"stanza {i}")
        stanzas.append(
            Stanza(
                label=label,
                fingerprint=fields[:32],
                enc=fields[32 : 32 + _hpke.ENC_LEN],
                wrapped_key=fields[32 + _hpke.ENC_LEN :],
            )
        )
    if cur.pos != body_len:
        raise HeaderError("malformed header: unexpected bytes after the last stanza")
    return Header(
        format_version=fmt,
        lot_id=lot_id,
        bidder_id=bidder_id,
        version=version,
        chunk_size=chunk_size,
        nonce_prefix=nonce_prefix,
        stanzas=tuple(stanzas),
        raw=fixed + rest,
    )


def _check_expectations(
    header: Header, lot: str | None, bidder: str | None, version: int | None
) -> None:
    # Checked before any key work so a misfiled envelope gets the precise reason; the
    # values are authenticated later (HPKE info and MAC), so a rewrite cannot pass.
    if lot is not None and header.lot_id != lot:
        raise EnvelopeMismatchError(f"envelope is for lot {header.lot_id!r}, expected {lot!r}")
    if bidder is not None and header.bidder_id != bidder:
        raise EnvelopeMismatchError(
            f"envelope is from bidder {header.bidder_id!r}, expected {bidder!r}"
        )
    if version is not None and header.version != version:
        raise EnvelopeMismatchError(
            f"envelope is submission version {header.version}, expected {version}"
        )


def unwrap_file_key(header: Header, recipient_priv: bytes) -> bytes:
    """Recover and authenticate the file key: HPKE unwrap, then the header MAC."""
    fingerprint = hashlib.sha256(x25519_public(recipient_priv)).digest()
    candidates = [s for s in header.stanzas if hmac.compare_digest(s.fingerprint, fingerprint)]
    if not candidates:
        raise NoStanzaError("no stanza for this key")
    info = HPKE_INFO_PREFIX + _binding(header.lot_id, header.bidder_id, header.version)
    file_key = None
    for stanza in candidates:
        try:
            file_key = _hpke.open_(
                recipient_priv,
                stanza.enc,
                info,
                _stanza_aad(stanza.label, stanza.fingerprint),
                stanza.wrapped_key,
            )
            break
        except ValueError:
            continue
    if file_key is None:
        raise StanzaError(
            f"stanza {candidates[0].label!r} did not unwrap: the stanza or the header's "
            "lot, bidder or version was altered"
        )
    mac = hmac.new(_header_key(file_key), header.raw[:-MAC_LEN], hashlib.sha256).digest()
    if not hmac.compare_digest(mac, header.mac):
        raise HeaderMACError("header MAC mismatch")
    return file_key


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
    key: bytes,
    header: Header,
    progress: Callable[[int], None] | None,
) -> int:
    wire_size = header.chunk_size + TAG_LEN
    prefix = header.nonce_prefix
    counter = 0
    total = 0
    buf = _read_exact(src, wire_size)
    while True:
        if len(buf) < TAG_LEN:
            # Nothing (or less than a tag) where a chunk must be: the final chunk is missing.
            raise TruncatedError("payload truncated")
        nxt = _read_exact(src, wire_size) if len(buf) == wire_size else b""
        at_end = not nxt
        plain = _decrypt(key, prefix, counter, at_end, buf)
        if plain is None:
            # Tell the attacks apart; the alternative flag only ever reports, never writes.
            if _decrypt(key, prefix, counter, not at_end, buf) is not None:
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
        if counter > 0xFFFFFFFF:
            raise PayloadError("payload has too many chunks")


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
    key = _payload_key(file_key, header.nonce_prefix)
    _open_payload(src, dst, key, header, progress)
    return header


def check_file_key(header: Header, file_key: bytes) -> None:
    """Authenticate a file key released by its bidder: it must reproduce the header MAC."""
    if len(file_key) != FILE_KEY_LEN:
        raise ParameterError(f"file key must be {FILE_KEY_LEN} bytes")
    mac = hmac.new(_header_key(file_key), header.raw[:-MAC_LEN], hashlib.sha256).digest()
    if not hmac.compare_digest(mac, header.mac):
        raise HeaderMACError("header MAC mismatch: not this envelope's file key")


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
    _open_payload(src, dst, _payload_key(file_key, header.nonce_prefix), header, None)
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
