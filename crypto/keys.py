"""Identity keys: one Ed25519 key to sign, one X25519 key to receive sealed material.

Private keys are raw 32-byte seeds (RFC 8032 / RFC 7748 encodings), public keys raw
32 bytes, so they map one-to-one onto WebCrypto's raw import/export.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES
from Crypto.Protocol.DH import import_x25519_private_key, import_x25519_public_key
from Crypto.Protocol.KDF import scrypt
from Crypto.PublicKey import ECC
from Crypto.Random import get_random_bytes
from Crypto.Signature import eddsa

from crypto.canonical import canonical_json, sha256_hex
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError, EncodingError, KeyFileError, ParameterError

KEY_FILE_FORMAT = "bidhall-identity"
# Version 2 (written since issue 13): PBKDF2-HMAC-SHA256 + AES-256-GCM, both in WebCrypto, so
# the browser (static/js/keyfile.js) reads and writes the very same files as the CLI.
# Version 1 (scrypt, which WebCrypto lacks) is still read, never written.
KEY_FILE_VERSION = 2
KEY_FILE_V1_SCRYPT = 1
PBKDF2_NAME = "PBKDF2-SHA256"
PBKDF2_ITERATIONS = 600_000  # OWASP 2023 for PBKDF2-HMAC-SHA256
# Bounds on what a key file may ask for: no weaker than we write, no slower than ~10 s.
_MIN_PBKDF2, _MAX_PBKDF2 = PBKDF2_ITERATIONS, 20_000_000
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# Upper bounds on what a key file may ask for, so a crafted file cannot exhaust memory.
_MAX_SCRYPT_N, _MAX_SCRYPT_R, _MAX_SCRYPT_P = 2**20, 16, 4
_WRONG = "wrong passphrase or damaged key file"


def x25519_generate() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as raw (private, public) bytes."""
    key = ECC.generate(curve="X25519")
    return key.seed, key.public_key().export_key(format="raw")


def x25519_public(priv: bytes) -> bytes:
    """The raw X25519 public key of a raw private key."""
    if not isinstance(priv, bytes | bytearray) or len(priv) != 32:
        raise ParameterError("X25519 private key must be 32 bytes")
    return import_x25519_private_key(bytes(priv)).public_key().export_key(format="raw")


def check_x25519_public(pub: bytes, what: str = "X25519 public key") -> bytes:
    """Validate a raw X25519 public key (length and encoding); return it as bytes."""
    if not isinstance(pub, bytes | bytearray) or len(pub) != 32:
        raise ParameterError(f"{what} must be 32 bytes")
    try:
        import_x25519_public_key(bytes(pub))
    except ValueError as exc:
        raise ParameterError(f"{what} is not a valid X25519 point") from exc
    return bytes(pub)


def ed25519_generate() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw (private seed, public) bytes."""
    key = ECC.generate(curve="Ed25519")
    return key.seed, key.public_key().export_key(format="raw")


def ed25519_public(priv: bytes) -> bytes:
    if not isinstance(priv, bytes | bytearray) or len(priv) != 32:
        raise ParameterError("Ed25519 private key must be 32 bytes")
    return eddsa.import_private_key(bytes(priv)).public_key().export_key(format="raw")


def fingerprint(pub: bytes) -> str:
    """Hex SHA-256 of a raw public key; how keys are named in headers, bundles, logs."""
    return sha256_hex(pub)


def key_id(sign_pub: bytes) -> str:
    """Short, stable name of a signing key, used as ``key_id`` in receipts and tree heads."""
    return "ed25519:" + fingerprint(sign_pub)[:16]


@dataclass(frozen=True)
class PublicIdentity:
    sign_pub: bytes
    enc_pub: bytes

    def to_dict(self) -> dict[str, str]:
        return {"sign_pub": b64u_encode(self.sign_pub), "enc_pub": b64u_encode(self.enc_pub)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PublicIdentity:
        if not isinstance(data, dict):
            raise EncodingError("public identity must be an object")
        try:
            sign_pub = b64u_decode(data["sign_pub"], length=32, what="sign_pub")
            enc_pub = b64u_decode(data["enc_pub"], length=32, what="enc_pub")
        except KeyError as exc:
            raise EncodingError(f"public identity lacks {exc.args[0]}") from exc
        check_x25519_public(enc_pub, "enc_pub")
        return cls(sign_pub=sign_pub, enc_pub=enc_pub)


@dataclass(frozen=True, repr=False)
class Identity:
    sign_priv: bytes
    sign_pub: bytes
    enc_priv: bytes
    enc_pub: bytes

    def __repr__(self) -> str:  # never print private halves into logs
        return f"Identity(sign_pub={self.sign_pub.hex()}, enc_pub={self.enc_pub.hex()})"

    def public(self) -> PublicIdentity:
        return PublicIdentity(sign_pub=self.sign_pub, enc_pub=self.enc_pub)


def generate_identity() -> Identity:
    sign_priv, sign_pub = ed25519_generate()
    enc_priv, enc_pub = x25519_generate()
    return Identity(sign_priv=sign_priv, sign_pub=sign_pub, enc_priv=enc_priv, enc_pub=enc_pub)


def _identity_from_private(sign_priv: bytes, enc_priv: bytes) -> Identity:
    return Identity(
        sign_priv=sign_priv,
        sign_pub=ed25519_public(sign_priv),
        enc_priv=enc_priv,
        enc_pub=x25519_public(enc_priv),
    )


def _passphrase_bytes(passphrase: str, *, nfc: bool) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise ParameterError("passphrase must be a non-empty string")
    # Version 2 normalises (NFC) so a passphrase typed on another system or in a browser gives
    # the same bytes; version 1 files were written without it.
    return (unicodedata.normalize("NFC", passphrase) if nfc else passphrase).encode("utf-8")


@lru_cache(maxsize=32)
def _pbkdf2(secret: bytes, salt: bytes, iterations: int) -> bytes:
    # Cached per (passphrase, salt, iterations): the same file opened again in one process (the
    # platform key at each start, the demo's keys) costs 600,000 rounds only once.
    return hashlib.pbkdf2_hmac("sha256", secret, salt, iterations, dklen=32)


def _key_file_aad(doc: dict[str, Any]) -> bytes:
    # Everything except the ciphertext is authenticated, so swapping public keys or
    # weakening the KDF parameters breaks decryption instead of going unnoticed.
    return canonical_json({k: v for k, v in doc.items() if k != "ciphertext"})


def identity_to_key_file(identity: Identity, passphrase: str) -> dict[str, Any]:
    """The JSON document :func:`save_identity` writes (version 2, readable in the browser)."""
    secret = _passphrase_bytes(passphrase, nfc=True)
    salt = get_random_bytes(16)
    nonce = get_random_bytes(12)
    doc: dict[str, Any] = {
        "format": KEY_FILE_FORMAT,
        "version": KEY_FILE_VERSION,
        "public": identity.public().to_dict(),
        "kdf": {"name": PBKDF2_NAME, "iterations": PBKDF2_ITERATIONS},
        "kdf_salt": b64u_encode(salt),
        "cipher": "AES-256-GCM",
        "nonce": b64u_encode(nonce),
    }
    aes = AES.new(_pbkdf2(secret, salt, PBKDF2_ITERATIONS), AES.MODE_GCM, nonce=nonce)
    aes.update(_key_file_aad(doc))
    ct, tag = aes.encrypt_and_digest(identity.sign_priv + identity.enc_priv)
    doc["ciphertext"] = b64u_encode(ct + tag)
    return doc


def _file_key(doc: dict[str, Any], passphrase: str) -> bytes:
    """The AES key of a key file from its KDF parameters, checked against our bounds first."""
    kdf = doc["kdf"]
    if not isinstance(kdf, dict) or doc.get("cipher") != "AES-256-GCM":
        raise KeyFileError("unsupported key file algorithms")
    salt = b64u_decode(doc["kdf_salt"], what="kdf_salt")
    if doc["version"] == KEY_FILE_V1_SCRYPT:
        n, r, p = kdf["n"], kdf["r"], kdf["p"]
        if kdf.get("name") != "scrypt":
            raise KeyFileError("unsupported key file algorithms")
        if not all(type(v) is int for v in (n, r, p)):
            raise KeyFileError(_WRONG)
        if not (2 <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0):
            raise KeyFileError(f"unsupported scrypt N={n}")
        if not (1 <= r <= _MAX_SCRYPT_R and 1 <= p <= _MAX_SCRYPT_P):
            raise KeyFileError(f"unsupported scrypt r={r}, p={p}")
        secret = _passphrase_bytes(passphrase, nfc=False)
        return scrypt(secret, salt, 32, N=n, r=r, p=p)  # type: ignore[arg-type,return-value]
    iterations = kdf.get("iterations")
    if kdf.get("name") != PBKDF2_NAME or set(kdf) != {"name", "iterations"}:
        raise KeyFileError("unsupported key file algorithms")
    if type(iterations) is not int or not _MIN_PBKDF2 <= iterations <= _MAX_PBKDF2:
        raise KeyFileError(f"unsupported PBKDF2 iterations={iterations!r}")
    if len(salt) < 16:
        raise KeyFileError(_WRONG)
    return _pbkdf2(_passphrase_bytes(passphrase, nfc=True), salt, iterations)


def identity_from_key_file(doc: Any, passphrase: str) -> Identity:
    """Decrypt a key-file document (version 2, or the CLI's older scrypt version 1); any
    failure is a :class:`KeyFileError`."""
    try:
        if not isinstance(doc, dict):
            raise KeyFileError("key file is not a JSON object")
        if doc.get("format") != KEY_FILE_FORMAT:
            raise KeyFileError("not a bidhall identity key file")
        if doc.get("version") not in (KEY_FILE_V1_SCRYPT, KEY_FILE_VERSION) or isinstance(
            doc.get("version"), bool
        ):
            raise KeyFileError(f"unsupported key file version {doc.get('version')!r}")
        nonce = b64u_decode(doc["nonce"], length=12, what="nonce")
        blob = b64u_decode(doc["ciphertext"], length=64 + 16, what="ciphertext")
        public = PublicIdentity.from_dict(doc["public"])
        key = _file_key(doc, passphrase)
    except KeyFileError:
        raise
    except (KeyError, TypeError, AttributeError, CryptoError) as exc:
        raise KeyFileError(_WRONG) from exc
    aes = AES.new(key, AES.MODE_GCM, nonce=nonce)
    aes.update(_key_file_aad(doc))
    try:
        secret = aes.decrypt_and_verify(blob[:64], blob[64:])
    except ValueError as exc:
        raise KeyFileError(_WRONG) from exc
    identity = _identity_from_private(secret[:32], secret[32:])
    if identity.public() != public:  # authenticated already; belt and braces
        raise KeyFileError(_WRONG)
    return identity


def save_identity(identity: Identity, path: str | os.PathLike[str], passphrase: str) -> None:
    """Write the encrypted key file atomically with owner-only permissions."""
    target = Path(path)
    doc = identity_to_key_file(identity, passphrase)
    fd, tmp = tempfile.mkstemp(prefix=".identity-", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_identity(path: str | os.PathLike[str], passphrase: str) -> Identity:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFileError(_WRONG) from exc
    return identity_from_key_file(doc, passphrase)
