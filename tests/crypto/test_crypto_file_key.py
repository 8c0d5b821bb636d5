"""Opening with a file key its bidder released: only the right key opens, tampering still fails."""

from __future__ import annotations

import io

import pytest

from crypto import envelope
from crypto.errors import ChunkAuthError, EnvelopeMismatchError, HeaderMACError, ParameterError
from crypto.keys import x25519_generate

MIN = 64  # test-only chunk size, through the explicit parameter


def sealed(plaintext: bytes) -> tuple[bytes, bytes]:
    """(envelope, bidder private key) for a bid sealed to the lot and to the bidder itself."""
    _lot_priv, lot_pub = x25519_generate()
    bidder_priv, bidder_pub = x25519_generate()
    out = io.BytesIO()
    envelope.seal(
        io.BytesIO(plaintext),
        out,
        lot_id="lot-1",
        bidder_id="B",
        version=1,
        recipients=[("opening", lot_pub), ("bidder", bidder_pub)],
        chunk_size=MIN,
        _min_chunk_for_tests=MIN,
    )
    return out.getvalue(), bidder_priv


def open_with(blob: bytes, key: bytes, **expect: object) -> bytes:
    out = io.BytesIO()
    envelope.open_with_file_key(
        io.BytesIO(blob),
        out,
        file_key=key,
        _min_chunk_for_tests=MIN,
        **expect,  # type: ignore[arg-type]
    )
    return out.getvalue()


def test_released_file_key_opens_the_bid() -> None:
    plain = b"price=123.45;" * 40
    blob, bidder_priv = sealed(plain)
    header = envelope.read_header(io.BytesIO(blob), _min_chunk_for_tests=MIN)
    key = envelope.unwrap_file_key(header, bidder_priv)
    assert open_with(blob, key, expect_lot="lot-1", expect_bidder="B", expect_version=1) == plain


def test_another_envelopes_key_is_refused_before_any_chunk() -> None:
    blob, _ = sealed(b"a" * 300)
    other, other_priv = sealed(b"b" * 300)
    other_key = envelope.unwrap_file_key(
        envelope.read_header(io.BytesIO(other), _min_chunk_for_tests=MIN), other_priv
    )
    with pytest.raises(HeaderMACError):
        open_with(blob, other_key)
    with pytest.raises(ParameterError):
        open_with(blob, b"short")


def test_tampered_payload_and_wrong_expectations_still_fail() -> None:
    blob, bidder_priv = sealed(b"c" * 300)
    key = envelope.unwrap_file_key(
        envelope.read_header(io.BytesIO(blob), _min_chunk_for_tests=MIN), bidder_priv
    )
    flipped = bytearray(blob)
    flipped[-5] ^= 1
    with pytest.raises(ChunkAuthError):
        open_with(bytes(flipped), key)
    with pytest.raises(EnvelopeMismatchError):
        open_with(blob, key, expect_lot="lot-2")
