"""Known-answer vectors, and an independent opener written from docs/envelope.md alone.

The reference opener below uses only what WebCrypto offers (X25519, HMAC-SHA256 for
HKDF, AES-GCM), never crypto.envelope or pycryptodome's HPKE, so it checks both the spec
and the claim that a browser can implement the format.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from Crypto.Cipher import AES
from Crypto.Protocol.DH import import_x25519_private_key, import_x25519_public_key, key_agreement

from crypto import envelope as env

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "envelope.json").read_text(encoding="utf-8")
)["vectors"]

# --- reference implementation (WebCrypto primitives only) ------------------------------------


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def x25519(priv: bytes, pub: bytes) -> bytes:
    return bytes(
        key_agreement(
            static_priv=import_x25519_private_key(priv),
            eph_pub=import_x25519_public_key(pub),
            kdf=lambda z: bytes(z),
        )
    )


def hpke_key_schedule(
    shared_dh: bytes, enc: bytes, pk_r: bytes, info: bytes, aead: int, nk: int
) -> tuple[bytes, bytes]:
    kem_suite = b"KEM" + struct.pack(">H", 0x0020)
    suite = b"HPKE" + struct.pack(">HHH", 0x0020, 0x0001, aead)

    def lext(salt: bytes, label: bytes, ikm: bytes, s: bytes) -> bytes:
        return hkdf_extract(salt, b"HPKE-v1" + s + label + ikm)

    def lexp(prk: bytes, label: bytes, inf: bytes, n: int, s: bytes) -> bytes:
        return hkdf_expand(prk, struct.pack(">H", n) + b"HPKE-v1" + s + label + inf, n)

    eae_prk = lext(b"", b"eae_prk", shared_dh, kem_suite)
    shared = lexp(eae_prk, b"shared_secret", enc + pk_r, 32, kem_suite)
    context = b"\x00" + lext(b"", b"psk_id_hash", b"", suite) + lext(b"", b"info_hash", info, suite)
    secret = lext(shared, b"secret", b"", suite)
    return lexp(secret, b"key", context, nk, suite), lexp(secret, b"base_nonce", context, 12, suite)


def ref_open(envelope: bytes, priv: bytes) -> tuple[dict[str, Any], bytes]:
    """Open an envelope following docs/envelope.md step by step."""
    assert envelope[:6] == b"BHSEAL"
    fmt, body_len = struct.unpack(">HI", envelope[6:12])
    assert fmt == 1
    body = envelope[12 : 12 + body_len]
    mac = envelope[12 + body_len : 12 + body_len + 32]
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        pos += n
        return body[pos - n : pos]

    lot = take(struct.unpack(">H", take(2))[0]).decode()
    bidder = take(struct.unpack(">H", take(2))[0]).decode()
    version, chunk_size = struct.unpack(">II", take(8))
    binding_end = 2 + len(lot.encode()) + 2 + len(bidder.encode()) + 4
    nonce_prefix = take(7)
    pub = x25519_public_ref(priv)
    fingerprint = hashlib.sha256(pub).digest()
    file_key = None
    for _ in range(take(1)[0]):
        label_len = take(1)[0]
        label = take(label_len)
        fp, enc, wrapped = take(32), take(32), take(48)
        if fp != fingerprint:
            continue
        info = b"bidhall-envelope/1 file-key" + body[:binding_end]
        key, nonce = hpke_key_schedule(x25519(priv, enc), enc, pub, info, 0x0002, 32)
        aes = AES.new(key, AES.MODE_GCM, nonce=nonce)
        aes.update(bytes([label_len]) + label + fp)
        file_key = aes.decrypt_and_verify(wrapped[:32], wrapped[32:])
    assert pos == body_len and file_key is not None
    header_key = hkdf_expand(hkdf_extract(b"", file_key), b"bidhall-envelope/1 header", 32)
    expected_mac = hmac.new(header_key, envelope[: 12 + body_len], hashlib.sha256).digest()
    assert hmac.compare_digest(mac, expected_mac)
    payload_key = hkdf_expand(
        hkdf_extract(nonce_prefix, file_key), b"bidhall-envelope/1 payload", 32
    )
    payload = envelope[12 + body_len + 32 :]
    wire = chunk_size + 16
    chunks = [payload[i : i + wire] for i in range(0, len(payload), wire)] or [b""]
    plain = b""
    for counter, chunk in enumerate(chunks):
        last = counter == len(chunks) - 1
        nonce = nonce_prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")
        aes = AES.new(payload_key, AES.MODE_GCM, nonce=nonce)
        plain += aes.decrypt_and_verify(chunk[:-16], chunk[-16:])
    fields = {"lot_id": lot, "bidder_id": bidder, "version": version, "chunk_size": chunk_size}
    return fields, plain


def x25519_public_ref(priv: bytes) -> bytes:
    return import_x25519_private_key(priv).public_key().export_key(format="raw")


# --- tests ------------------------------------------------------------------------------------


def test_reference_hpke_matches_rfc9180_a11() -> None:
    """RFC 9180 A.1.1 (DHKEM(X25519), HKDF-SHA256, AES-128-GCM, base): the reference
    key schedule reproduces the published key and base nonce."""
    sk_e = bytes.fromhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
    sk_r = bytes.fromhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
    enc, pk_r = x25519_public_ref(sk_e), x25519_public_ref(sk_r)
    assert enc.hex() == "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"
    info = bytes.fromhex("4f6465206f6e2061204772656369616e2055726e")  # "Ode on a Grecian Urn"
    key, nonce = hpke_key_schedule(x25519(sk_r, enc), enc, pk_r, info, 0x0001, 16)
    assert key.hex() == "4531685d41d65f03dc48f6b8302c05b0"
    assert nonce.hex() == "56d890e5accaaf011cff4b7d"


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_reproduced_byte_for_byte(vec: dict[str, Any]) -> None:
    out = io.BytesIO()
    result = env._seal_deterministic(
        io.BytesIO(bytes.fromhex(vec["plaintext"])),
        out,
        lot_id=vec["lot_id"],
        bidder_id=vec["bidder_id"],
        version=vec["version"],
        recipients=[(r["label"], bytes.fromhex(r["pub"])) for r in vec["recipients"]],
        file_key=bytes.fromhex(vec["file_key"]),
        nonce_prefix=bytes.fromhex(vec["nonce_prefix"]),
        eph_privs=[bytes.fromhex(r["eph_priv"]) for r in vec["recipients"]],
        chunk_size=vec["chunk_size"],
        _min_chunk_for_tests=64,
    )
    assert out.getvalue().hex() == vec["envelope"]
    assert result.header.hex() == vec["header"]
    assert result.header_sha256 == vec["header_sha256"]
    assert result.ciphertext_sha256 == vec["ciphertext_sha256"]
    file_key = bytes.fromhex(vec["file_key"])
    assert env._header_key(file_key).hex() == vec["header_key"]
    assert (
        env._payload_key(file_key, bytes.fromhex(vec["nonce_prefix"])).hex() == vec["payload_key"]
    )


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_opens_with_library_and_reference(vec: dict[str, Any]) -> None:
    envelope = bytes.fromhex(vec["envelope"])
    plaintext = bytes.fromhex(vec["plaintext"])
    for r in vec["recipients"]:
        priv = bytes.fromhex(r["priv"])
        opened = env.open_bytes(
            envelope,
            recipient_priv=priv,
            expect_lot=vec["lot_id"],
            expect_bidder=vec["bidder_id"],
            expect_version=vec["version"],
            _min_chunk_for_tests=64,
        )
        assert opened == plaintext
        fields, ref_plain = ref_open(envelope, priv)
        assert ref_plain == plaintext
        assert fields == {k: vec[k] for k in ("lot_id", "bidder_id", "version", "chunk_size")}


def test_reference_opens_random_library_envelopes(opening_keys: tuple[bytes, bytes]) -> None:
    for size in (0, 63, 64, 65, 300):
        plaintext = bytes(range(256)) * 2
        plaintext = plaintext[:size]
        sealed = env.seal_bytes(
            plaintext,
            lot_id="L",
            bidder_id="B",
            version=1,
            recipients=[("opening", opening_keys[1])],
            chunk_size=64,
            _min_chunk_for_tests=64,
        )
        assert ref_open(sealed, opening_keys[0])[1] == plaintext
