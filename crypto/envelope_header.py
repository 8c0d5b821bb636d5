"""The envelope header (docs/envelope.md, *Header*): what is sealed, and for whom.

The header names the sealed object (lot, bidder, submission version), carries the
payload's chunk size and nonce prefix, wraps the random file key once per recipient in an
HPKE stanza, and ends with an HMAC keyed from the file key. Parsing authenticates nothing;
:func:`unwrap_file_key` or :func:`check_file_key` does, once a key is at hand.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

from crypto import _hpke
from crypto.encoding import b64u_encode
from crypto.envelope_payload import (
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_LEN,
    TAG_LEN,
    _read_exact,
)
from crypto.errors import (
    EnvelopeMismatchError,
    HeaderError,
    HeaderMACError,
    NoStanzaError,
    ParameterError,
    StanzaError,
)
from crypto.keys import check_x25519_public, x25519_public

MAGIC = b"BHSEAL"
FORMAT_VERSION = 1
MAX_HEADER_BODY = 64 << 10
MAX_STANZAS = 16
MAX_ID_BYTES = 256
FILE_KEY_LEN = 32
MAC_LEN = 32
_FIXED_LEN = len(MAGIC) + 2 + 4  # magic, format version, header body length
_STANZA_FIXED = 32 + _hpke.ENC_LEN + FILE_KEY_LEN + TAG_LEN  # fingerprint, enc, wrapped key

# Domain-separation labels (part of the format; see docs/envelope.md).
HPKE_INFO_PREFIX = b"bidhall-envelope/1 file-key"
HEADER_KEY_INFO = b"bidhall-envelope/1 header"

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


def _header_mac(file_key: bytes, head: bytes) -> bytes:
    return hmac.new(_header_key(file_key), head, hashlib.sha256).digest()


# --- checks ----------------------------------------------------------------------------


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


# --- writing ---------------------------------------------------------------------------


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
    return head + _header_mac(file_key, head)


# --- parsing ---------------------------------------------------------------------------


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
    the MAC needs the file key and is checked by :func:`crypto.envelope.open_envelope`."""
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


# --- authenticating --------------------------------------------------------------------


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
    if not hmac.compare_digest(_header_mac(file_key, header.raw[:-MAC_LEN]), header.mac):
        raise HeaderMACError("header MAC mismatch")
    return file_key


def check_file_key(header: Header, file_key: bytes) -> None:
    """Authenticate a file key released by its bidder: it must reproduce the header MAC."""
    if len(file_key) != FILE_KEY_LEN:
        raise ParameterError(f"file key must be {FILE_KEY_LEN} bytes")
    if not hmac.compare_digest(_header_mac(file_key, header.raw[:-MAC_LEN]), header.mac):
        raise HeaderMACError("header MAC mismatch: not this envelope's file key")
