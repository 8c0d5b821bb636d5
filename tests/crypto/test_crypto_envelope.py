"""Sealed envelope: round trips and attacks. Every attack must end in the format's own
EnvelopeError subclass, never in a wrong plaintext."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import envelope as env
from crypto.errors import (
    ChunkAuthError,
    EnvelopeError,
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
from crypto.keys import x25519_generate

from .conftest import TEST_CHUNK, TEST_MIN_CHUNK

WIRE = TEST_CHUNK + env.TAG_LEN
Keys = tuple[bytes, bytes]


def seal_small(
    plaintext: bytes,
    recipients: list[tuple[str, bytes]],
    *,
    lot: str = "LOT-1",
    bidder: str = "B-1",
    version: int = 1,
    chunk: int = TEST_CHUNK,
) -> tuple[bytes, env.SealResult]:
    out = io.BytesIO()
    result = env.seal(
        io.BytesIO(plaintext),
        out,
        lot_id=lot,
        bidder_id=bidder,
        version=version,
        recipients=recipients,
        chunk_size=chunk,
        _min_chunk_for_tests=TEST_MIN_CHUNK,
    )
    return out.getvalue(), result


def open_small(data: bytes, priv: bytes, **kw: object) -> bytes:
    return env.open_bytes(data, recipient_priv=priv, _min_chunk_for_tests=TEST_MIN_CHUNK, **kw)  # type: ignore[arg-type]


def open_into(data: bytes, priv: bytes, **kw: object) -> tuple[bytes, Exception | None]:
    """Open and return (what was written to dst, the error if any)."""
    dst = io.BytesIO()
    try:
        env.open_envelope(
            io.BytesIO(data), dst, recipient_priv=priv, _min_chunk_for_tests=TEST_MIN_CHUNK, **kw
        )  # type: ignore[arg-type]
    except EnvelopeError as exc:
        return dst.getvalue(), exc
    return dst.getvalue(), None


@pytest.fixture(scope="module")
def recipients(opening_keys: Keys, bidder_keys: Keys) -> list[tuple[str, bytes]]:
    return [("opening", opening_keys[1]), ("bidder", bidder_keys[1])]


@pytest.fixture(scope="module")
def three_and_half(recipients: list[tuple[str, bytes]]) -> tuple[bytes, bytes, env.SealResult]:
    plaintext = os.urandom(TEST_CHUNK * 3 + TEST_CHUNK // 2)
    data, result = seal_small(plaintext, recipients)
    return plaintext, data, result


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, TEST_CHUNK - 1, TEST_CHUNK, TEST_CHUNK + 1, 896, 1024])
def test_round_trip_sizes(
    size: int, recipients: list[tuple[str, bytes]], opening_keys: Keys, bidder_keys: Keys
) -> None:
    plaintext = os.urandom(size)
    data, result = seal_small(plaintext, recipients)
    chunks = max(1, -(-size // TEST_CHUNK))
    assert len(data) == len(result.header) + size + chunks * env.TAG_LEN
    assert result.size == len(data)
    assert result.plaintext_size == size
    assert result.ciphertext_sha256 == hashlib.sha256(data).hexdigest()
    assert result.header_sha256 == hashlib.sha256(result.header).hexdigest()
    assert data.startswith(result.header)
    for priv in (opening_keys[0], bidder_keys[0]):
        assert open_small(data, priv, expect_lot="LOT-1", expect_bidder="B-1") == plaintext


def test_empty_plaintext_is_one_tag(
    recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    data, result = seal_small(b"", recipients)
    assert len(data) == len(result.header) + env.TAG_LEN
    assert open_small(data, opening_keys[0]) == b""


def test_multi_chunk_default_chunk_size(opening_keys: Keys) -> None:
    plaintext = os.urandom(int(3.5 * (1 << 20)))
    sealed = env.seal_bytes(
        plaintext, lot_id="L", bidder_id="B", version=3, recipients=[("opening", opening_keys[1])]
    )
    header = env.read_header(io.BytesIO(sealed))
    assert header.chunk_size == 1 << 20
    assert len(sealed) == len(header.raw) + len(plaintext) + 4 * env.TAG_LEN
    assert env.open_bytes(sealed, recipient_priv=opening_keys[0], expect_version=3) == plaintext


def test_read_header_fields(recipients: list[tuple[str, bytes]]) -> None:
    data, result = seal_small(b"x", recipients, lot="标段-7", bidder="供应商甲", version=2)
    src = io.BytesIO(data)
    header = env.read_header(src, _min_chunk_for_tests=TEST_MIN_CHUNK)
    assert src.tell() == len(result.header)
    assert (header.lot_id, header.bidder_id, header.version) == ("标段-7", "供应商甲", 2)
    assert header.chunk_size == TEST_CHUNK
    assert header.labels == ("opening", "bidder")
    assert header.stanzas[0].fingerprint == hashlib.sha256(recipients[0][1]).digest()
    assert header.raw == result.header
    assert header.to_dict()["header_sha256"] == result.header_sha256


def test_progress_reports_cumulative_plaintext(
    recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    seen: list[int] = []
    out = io.BytesIO()
    env.seal(
        io.BytesIO(b"a" * 600),
        out,
        lot_id="L",
        bidder_id="B",
        version=1,
        recipients=recipients,
        chunk_size=TEST_CHUNK,
        progress=seen.append,
        _min_chunk_for_tests=TEST_MIN_CHUNK,
    )
    assert seen == [256, 512, 600]
    opened: list[int] = []
    env.open_envelope(
        io.BytesIO(out.getvalue()),
        io.BytesIO(),
        recipient_priv=opening_keys[0],
        progress=opened.append,
        _min_chunk_for_tests=TEST_MIN_CHUNK,
    )
    assert opened == seen


class _Trickle(io.RawIOBase):
    """A stream that returns at most 7 bytes per read, like a slow pipe."""

    def __init__(self, data: bytes) -> None:
        self._src = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._src.read(min(7, n) if n >= 0 else 7)


def test_short_reads(recipients: list[tuple[str, bytes]], opening_keys: Keys) -> None:
    plaintext = os.urandom(1000)
    out = io.BytesIO()
    env.seal(
        _Trickle(plaintext),  # type: ignore[arg-type]
        out,
        lot_id="L",
        bidder_id="B",
        version=1,
        recipients=recipients,
        chunk_size=TEST_CHUNK,
        _min_chunk_for_tests=TEST_MIN_CHUNK,
    )
    dst = io.BytesIO()
    env.open_envelope(
        _Trickle(out.getvalue()),  # type: ignore[arg-type]
        dst,
        recipient_priv=opening_keys[0],
        _min_chunk_for_tests=TEST_MIN_CHUNK,
    )
    assert dst.getvalue() == plaintext


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plaintext=st.binary(max_size=700), chunk=st.integers(TEST_MIN_CHUNK, 300))
def test_round_trip_property(plaintext: bytes, chunk: int, opening_keys: Keys) -> None:
    data, _ = seal_small(plaintext, [("opening", opening_keys[1])], chunk=chunk)
    assert open_small(data, opening_keys[0]) == plaintext


# --- parameters ------------------------------------------------------------------------------


def test_public_path_enforces_one_mib_chunks(
    recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    with pytest.raises(ParameterError, match="chunk size"):
        env.seal_bytes(
            b"x", lot_id="L", bidder_id="B", version=1, recipients=recipients, chunk_size=256
        )
    data, _ = seal_small(b"x", recipients)
    with pytest.raises(HeaderError, match="chunk size 256 out of range"):
        env.open_bytes(data, recipient_priv=opening_keys[0])


@pytest.mark.parametrize(
    ("recips", "message"),
    [
        ([], "at least one recipient"),
        ([("Opening", b"\x09" * 32)], "label"),
        ([("opening", b"\x09" * 31)], "32 bytes"),
        ([("a", b"\x09" * 32), ("b", b"\x09" * 32)], "given twice"),
        ([(f"r{i}", x25519_generate()[1]) for i in range(17)], "at most 16"),
    ],
)
def test_bad_recipients(recips: list[tuple[str, bytes]], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        seal_small(b"x", recips)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"lot": ""}, "lot id"),
        ({"bidder": "x" * 300}, "bidder id"),
        ({"version": 0}, "submission version"),
        ({"version": True}, "submission version"),
    ],
)
def test_bad_header_fields(kw: dict[str, object], message: str, opening_keys: Keys) -> None:
    with pytest.raises(ParameterError, match=message):
        seal_small(b"x", [("opening", opening_keys[1])], **kw)  # type: ignore[arg-type]


# --- header attacks -------------------------------------------------------------------------


def test_every_header_byte_flip_fails(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, data, result = three_and_half
    for i in range(len(result.header)):
        for mask in (0x01, 0x80):
            bad = bytearray(data)
            bad[i] ^= mask
            written, err = open_into(bytes(bad), opening_keys[0])
            assert err is not None, f"flip {mask:#x} at header byte {i} went unnoticed"
            assert written == b"", "plaintext written before the header authenticated"


def test_header_error_messages(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, data, result = three_and_half
    hl = len(result.header)
    cases = [
        (b"XHSEAL" + data[6:], HeaderError, "bad magic"),
        (data[:6] + b"\x00\x02" + data[8:], HeaderError, "unsupported envelope format version 2"),
        (data[:8] + struct.pack(">I", 1 << 30) + data[12:], HeaderError, "exceeds"),
        (data[: hl - 5], HeaderError, "header truncated"),
        (data[:3], HeaderError, "bad magic"),
        (
            data[: hl - 1] + bytes([data[hl - 1] ^ 1]) + data[hl:],
            HeaderMACError,
            "header MAC mismatch",
        ),
    ]
    for bad, cls, message in cases:
        with pytest.raises(cls, match=message):
            open_small(bad, opening_keys[0])


def test_nonce_prefix_or_chunk_size_rewrite_breaks_mac(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, data, result = three_and_half
    header = env.read_header(io.BytesIO(data), _min_chunk_for_tests=TEST_MIN_CHUNK)
    pos = result.header.index(header.nonce_prefix)
    bad = bytearray(data)
    bad[pos] ^= 0xFF
    with pytest.raises(HeaderMACError, match="header MAC mismatch"):
        open_small(bytes(bad), opening_keys[0])


def test_no_stanza_for_key(three_and_half: tuple[bytes, bytes, env.SealResult]) -> None:
    _, data, _ = three_and_half
    with pytest.raises(NoStanzaError, match="no stanza for this key"):
        open_small(data, x25519_generate()[0])


def test_stanza_relabel_fails(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, data, _ = three_and_half
    bad = data.replace(b"\x07opening", b"\x07closing", 1)
    assert bad != data
    with pytest.raises(StanzaError, match="did not unwrap"):
        open_small(bad, opening_keys[0])


# --- moving and replaying envelopes ------------------------------------------------------------


def test_expectations(recipients: list[tuple[str, bytes]], opening_keys: Keys) -> None:
    data, _ = seal_small(b"bid", recipients, lot="LOT-1", bidder="B-1", version=1)
    with pytest.raises(
        EnvelopeMismatchError, match="envelope is for lot 'LOT-1', expected 'LOT-2'"
    ):
        open_small(data, opening_keys[0], expect_lot="LOT-2")
    with pytest.raises(EnvelopeMismatchError, match="from bidder 'B-1', expected 'B-2'"):
        open_small(data, opening_keys[0], expect_bidder="B-2")
    # Replay of an older submission where the platform expects the latest one.
    with pytest.raises(EnvelopeMismatchError, match="submission version 1, expected 2"):
        open_small(data, opening_keys[0], expect_version=2)
    assert (
        open_small(data, opening_keys[0], expect_lot="LOT-1", expect_bidder="B-1", expect_version=1)
        == b"bid"
    )


def _rewrite_header(data: bytes, **changes: object) -> tuple[bytes, env.Header]:
    """Re-encode the header with changed identity fields, keeping stanzas and the old MAC."""
    header = env.read_header(io.BytesIO(data), _min_chunk_for_tests=TEST_MIN_CHUNK)
    lot = str(changes.get("lot", header.lot_id))
    bidder = str(changes.get("bidder", header.bidder_id))
    version = int(changes.get("version", header.version))  # type: ignore[call-overload]
    old_binding = env._binding(header.lot_id, header.bidder_id, header.version)
    body = header.raw[12:-32]
    assert body.startswith(old_binding)
    new_body = env._binding(lot, bidder, version) + body[len(old_binding) :]
    new_raw = env.MAGIC + struct.pack(">HI", 1, len(new_body)) + new_body + header.mac
    return new_raw + data[len(header.raw) :], header


@pytest.mark.parametrize(
    "change", [{"lot": "LOT-2"}, {"lot": "LOT-22"}, {"bidder": "B-9"}, {"version": 2}]
)
def test_header_field_rewrite_detected(
    change: dict[str, object],
    three_and_half: tuple[bytes, bytes, env.SealResult],
    opening_keys: Keys,
) -> None:
    _, data, _ = three_and_half
    moved, _ = _rewrite_header(data, **change)
    written, err = open_into(moved, opening_keys[0])
    assert isinstance(err, StanzaError)  # HPKE info binds lot, bidder and version
    assert written == b""


def test_recipient_cannot_move_envelope_even_with_file_key(
    recipients: list[tuple[str, bytes]], opening_keys: Keys, bidder_keys: Keys
) -> None:
    """The bidder knows the file key (own stanza), so it can re-MAC a rewritten header;
    the opening key's stanza still refuses, because HPKE's info binds the lot."""
    data, _ = seal_small(b"price 100", recipients, lot="LOT-1")
    header = env.read_header(io.BytesIO(data), _min_chunk_for_tests=TEST_MIN_CHUNK)
    file_key = env.unwrap_file_key(header, bidder_keys[0])
    moved, _ = _rewrite_header(data, lot="LOT-2")
    hl = len(moved) - (len(data) - len(header.raw))
    head = moved[: hl - 32]
    remac = head + hmac.new(env._header_key(file_key), head, hashlib.sha256).digest()
    forged = remac + moved[hl:]
    with pytest.raises(StanzaError):
        open_small(forged, opening_keys[0], expect_lot="LOT-2")


def test_payload_of_another_envelope_fails(
    recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    _, ra = seal_small(b"A" * 600, recipients)
    b, rb = seal_small(b"B" * 600, recipients)
    spliced = ra.header + b[len(rb.header) :]
    with pytest.raises(ChunkAuthError, match="chunk 0 failed authentication"):
        open_small(spliced, opening_keys[0])


# --- payload attacks ----------------------------------------------------------------------------


def _chunks(data: bytes, header_len: int) -> list[bytes]:
    payload = data[header_len:]
    return [payload[i : i + WIRE] for i in range(0, len(payload), WIRE)]


def test_every_payload_byte_flip_fails_at_its_chunk(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    plaintext, data, result = three_and_half
    hl = len(result.header)
    for i in range(hl, len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01
        written, err = open_into(bytes(bad), opening_keys[0])
        n = (i - hl) // WIRE
        assert isinstance(err, ChunkAuthError), i
        assert str(err) == f"chunk {n} failed authentication"
        # Only chunks before the damaged one were released, and they are genuine.
        assert written == plaintext[: n * TEST_CHUNK]


def test_truncation_at_chunk_boundaries(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, data, result = three_and_half
    hl = len(result.header)
    for n in range(4):  # keep n chunks; 4 are sealed
        with pytest.raises(TruncatedError, match=r"^payload truncated$"):
            open_small(data[: hl + n * WIRE], opening_keys[0])


def test_truncation_anywhere_fails(
    three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, data, result = three_and_half
    for cut in range(len(data)):
        _, err = open_into(data[:cut], opening_keys[0])
        assert err is not None, f"truncation to {cut} bytes went unnoticed"
        expected = HeaderError if cut < len(result.header) else PayloadError
        assert isinstance(err, expected), (cut, err)


def test_exact_multiple_truncated_to_last_full_chunk(
    recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    data, result = seal_small(os.urandom(TEST_CHUNK * 3), recipients)
    with pytest.raises(TruncatedError, match="payload truncated"):
        open_small(data[: len(result.header) + 2 * WIRE], opening_keys[0])


@pytest.mark.parametrize(
    "order",
    [
        [0, 2, 3],
        [0, 1, 3],
        [1, 2, 3],
        [1, 0, 2, 3],
        [0, 2, 1, 3],
        [3, 1, 2, 0],
        [0, 1, 2, 2, 3],
        [0, 0, 1, 2, 3],
    ],
)
def test_drop_swap_reorder_duplicate_chunks(
    order: list[int], three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    plaintext, data, result = three_and_half
    chunks = _chunks(data, len(result.header))
    bad = result.header + b"".join(chunks[i] for i in order)
    written, err = open_into(bad, opening_keys[0])
    assert isinstance(err, PayloadError)
    first_bad = next(i for i, c in enumerate(order) if c != i)
    assert isinstance(err, ChunkAuthError)
    assert str(err) == f"chunk {first_bad} failed authentication"
    assert written == plaintext[: first_bad * TEST_CHUNK]


@pytest.mark.parametrize(
    "garbage", [b"\x00", b"x" * 15, os.urandom(16), os.urandom(WIRE), os.urandom(3 * WIRE)]
)
def test_append_after_full_final_chunk(
    garbage: bytes, recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    plaintext = os.urandom(TEST_CHUNK * 2)
    data, _ = seal_small(plaintext, recipients)
    written, err = open_into(data + garbage, opening_keys[0])
    assert isinstance(err, TrailingDataError)
    assert str(err) == "trailing data after final chunk"
    assert written == plaintext[:TEST_CHUNK]


@pytest.mark.parametrize("garbage", [b"\x00", os.urandom(200), os.urandom(5 * WIRE)])
def test_append_after_short_final_chunk(
    garbage: bytes, three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    # The final chunk's length is implicit, so appended bytes merge into it and it no
    # longer authenticates (or, beyond a chunk, it is not final any more).
    plaintext, data, _ = three_and_half
    written, err = open_into(data + garbage, opening_keys[0])
    assert isinstance(err, ChunkAuthError | TrailingDataError)
    assert str(err) == "chunk 3 failed authentication"
    assert written == plaintext[: 3 * TEST_CHUNK]


def test_append_after_empty_plaintext(
    recipients: list[tuple[str, bytes]], opening_keys: Keys
) -> None:
    data, _ = seal_small(b"", recipients)
    with pytest.raises(ChunkAuthError, match="chunk 0 failed authentication"):
        open_small(data + b"\x00", opening_keys[0])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_single_byte_change_never_yields_plaintext(
    data: st.DataObject, three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    _, sealed, _ = three_and_half
    pos = data.draw(st.integers(0, len(sealed) - 1))
    delta = data.draw(st.integers(1, 255))
    bad = bytearray(sealed)
    bad[pos] ^= delta
    with pytest.raises(EnvelopeError):
        open_small(bytes(bad), opening_keys[0])


# --- nonce prefixes ------------------------------------------------------------------------------


def test_nonce_prefix_generator_unique_over_1e5() -> None:
    prefixes = {env._new_nonce_prefix() for _ in range(100_000)}
    assert len(prefixes) == 100_000
    assert all(len(p) == env.NONCE_PREFIX_LEN for p in list(prefixes)[:10])


def test_full_seals_use_fresh_prefixes_and_keys(opening_keys: Keys) -> None:
    headers = [
        env.read_header(
            io.BytesIO(seal_small(b"same", [("opening", opening_keys[1])])[0]),
            _min_chunk_for_tests=TEST_MIN_CHUNK,
        )
        for _ in range(300)
    ]
    assert len({h.nonce_prefix for h in headers}) == 300
    assert len({h.stanzas[0].enc for h in headers}) == 300
    assert len({h.mac for h in headers}) == 300


# --- open_to_file ---------------------------------------------------------------------


def test_open_to_file_success_and_failure(
    tmp_path: Path, three_and_half: tuple[bytes, bytes, env.SealResult], opening_keys: Keys
) -> None:
    plaintext, data, _ = three_and_half
    target = tmp_path / "bid.bin"
    env.open_to_file(
        io.BytesIO(data),
        target,
        recipient_priv=opening_keys[0],
        _min_chunk_for_tests=TEST_MIN_CHUNK,
    )
    assert target.read_bytes() == plaintext

    bad = bytearray(data)
    bad[-1] ^= 1  # damage the last chunk: three chunks would already have been written
    other = tmp_path / "bad.bin"
    with pytest.raises(ChunkAuthError):
        env.open_to_file(
            io.BytesIO(bytes(bad)),
            other,
            recipient_priv=opening_keys[0],
            _min_chunk_for_tests=TEST_MIN_CHUNK,
        )
    assert not other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.bin"]
