"""Opening-key custody: the lot's X25519 opening key, recoverable only by k of n custodians.

    opening_priv --AES-256-GCM under HKDF(KEK, "wrap")--> wrapped_key
    KEK (16 random bytes) --Shamir k-of-n over GF(2^128)--> shares
    share i --HPKE to custodian i's X25519 key--> sealed share i
    key_check = HMAC-SHA256(HKDF(KEK, "check"), "bidhall custody key check v1")
    share_digests[i] = SHA-256("bidhall-custody/1 share digest" || custody_id || i || share i)

pycryptodome's Shamir.combine returns a wrong secret, not an error, for missing or bad
shares; the key-check value turns that into :class:`CustodyError`, and the GCM tag on the
wrapped key plus the public-key comparison make sure a wrong key is never returned.
The share digests commit to each share when the key is split, so a released share whose bytes
are not the ones sealed to that custodian (a slip, or a custodian sabotaging the opening) is
refused when it is handed over, instead of making the recovery fail for everyone; a bundle
made before they existed has none, and then only the key check catches such a share.
The server stores only the bundle (wrapped material); custodians hold the private keys.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from Crypto.Protocol.SecretSharing import Shamir
from Crypto.Random import get_random_bytes

from crypto import _hpke
from crypto.encoding import b64u_decode, b64u_encode, hex_digest_decode
from crypto.errors import CryptoError, CustodyError, ParameterError
from crypto.keys import check_x25519_public, x25519_generate, x25519_public

CUSTODY_TYPE = "bidhall-custody"
CUSTODY_VERSION = 1
MAX_CUSTODIANS = 255
_WRAP_INFO = b"bidhall-custody/1 wrap"
_CHECK_INFO = b"bidhall-custody/1 check"
_CHECK_MSG = b"bidhall custody key check v1"
_SHARE_INFO = b"bidhall-custody/1 share"
_DIGEST_INFO = b"bidhall-custody/1 share digest"
KEY_CHECK_FAILED = "key check failed: wrong, tampered or too few shares"


def public_from_private(x25519_priv: bytes) -> bytes:
    return x25519_public(x25519_priv)


def _context(custody_id: bytes, threshold: int, opening_pub: bytes) -> bytes:
    return custody_id + struct.pack(">B", threshold) + opening_pub


def _key_check(kek: bytes) -> bytes:
    check_key = HKDF(kek, 32, b"", SHA256, context=_CHECK_INFO)
    return hmac.new(check_key, _CHECK_MSG, hashlib.sha256).digest()  # type: ignore[arg-type]


def _wrap_key(kek: bytes) -> bytes:
    return HKDF(kek, 32, b"", SHA256, context=_WRAP_INFO)  # type: ignore[return-value]


def share_digest(custody_id: bytes, index: int, share: bytes) -> bytes:
    return hashlib.sha256(_DIGEST_INFO + custody_id + struct.pack(">B", index) + share).digest()


@dataclass(frozen=True)
class SealedShare:
    """One custodian's share, HPKE-sealed to that custodian's X25519 key."""

    custody_id: bytes
    threshold: int
    opening_pub: bytes
    index: int
    custodian_fingerprint: str  # hex SHA-256 of the custodian's X25519 public key
    enc: bytes
    ciphertext: bytes

    def _info(self) -> bytes:
        return _SHARE_INFO + _context(self.custody_id, self.threshold, self.opening_pub)

    def _aad(self) -> bytes:
        return struct.pack(">B", self.index) + bytes.fromhex(self.custodian_fingerprint)

    def to_dict(self) -> dict[str, Any]:
        return {
            "custody_id": b64u_encode(self.custody_id),
            "threshold": self.threshold,
            "opening_pub": b64u_encode(self.opening_pub),
            "index": self.index,
            "custodian_fingerprint": self.custodian_fingerprint,
            "enc": b64u_encode(self.enc),
            "ciphertext": b64u_encode(self.ciphertext),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SealedShare:
        try:
            share = cls(
                custody_id=b64u_decode(data["custody_id"], length=16, what="custody_id"),
                threshold=_int(data["threshold"], 1, MAX_CUSTODIANS, "threshold"),
                opening_pub=b64u_decode(data["opening_pub"], length=32, what="opening_pub"),
                index=_int(data["index"], 1, MAX_CUSTODIANS, "index"),
                custodian_fingerprint=data["custodian_fingerprint"],
                enc=b64u_decode(data["enc"], length=32, what="enc"),
                ciphertext=b64u_decode(data["ciphertext"], length=32, what="share ciphertext"),
            )
            hex_digest_decode(share.custodian_fingerprint, what="custodian_fingerprint")
        except (KeyError, TypeError) as exc:
            raise CustodyError(f"malformed sealed share: {exc}") from exc
        except CryptoError as exc:
            raise CustodyError(f"malformed sealed share: {exc}") from exc
        return share


@dataclass(frozen=True)
class ReleasedShare:
    """A share a custodian has decrypted and hands over at the opening."""

    custody_id: bytes
    index: int
    share: bytes  # 16 bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "custody_id": b64u_encode(self.custody_id),
            "index": self.index,
            "share": b64u_encode(self.share),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ReleasedShare:
        try:
            return cls(
                custody_id=b64u_decode(data["custody_id"], length=16, what="custody_id"),
                index=_int(data["index"], 1, MAX_CUSTODIANS, "index"),
                share=b64u_decode(data["share"], length=16, what="share"),
            )
        except (KeyError, TypeError) as exc:
            raise CustodyError(f"malformed released share: {exc}") from exc
        except CryptoError as exc:
            raise CustodyError(f"malformed released share: {exc}") from exc


@dataclass(frozen=True)
class CustodyBundle:
    """Everything the server keeps about a lot's opening key: public or wrapped only."""

    custody_id: bytes
    threshold: int
    opening_pub: bytes
    wrapped_key: bytes  # nonce (12) || AES-256-GCM(opening_priv) (32) || tag (16)
    key_check: bytes
    shares: tuple[SealedShare, ...]
    share_digests: tuple[bytes, ...] = ()  # by share index - 1; empty in older bundles

    def check_share(self, released: ReleasedShare) -> None:
        """Raise :class:`CustodyError` unless ``released`` is the share split for its index
        (bundles without digests accept any 16 bytes: only the key check will tell)."""
        if not self.share_digests:
            return
        if not 1 <= released.index <= len(self.share_digests):
            raise CustodyError(f"share {released.index} does not exist in this bundle")
        expected = self.share_digests[released.index - 1]
        found = share_digest(self.custody_id, released.index, released.share)
        if not hmac.compare_digest(expected, found):
            raise CustodyError(f"share {released.index} does not match its digest")

    def share_for(self, custodian_enc_pub: bytes) -> SealedShare:
        fp = hashlib.sha256(custodian_enc_pub).hexdigest()
        for share in self.shares:
            if share.custodian_fingerprint == fp:
                return share
        raise CustodyError("no share for this custodian key")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": CUSTODY_TYPE,
            "v": CUSTODY_VERSION,
            "custody_id": b64u_encode(self.custody_id),
            "threshold": self.threshold,
            "opening_pub": b64u_encode(self.opening_pub),
            "wrapped_key": b64u_encode(self.wrapped_key),
            "key_check": b64u_encode(self.key_check),
            "shares": [s.to_dict() for s in self.shares],
        } | (
            {"share_digests": [b64u_encode(d) for d in self.share_digests]}
            if self.share_digests
            else {}
        )

    @classmethod
    def from_dict(cls, data: Any) -> CustodyBundle:
        try:
            if data["type"] != CUSTODY_TYPE or data["v"] != CUSTODY_VERSION:
                raise CustodyError("not a bidhall custody bundle (type or version)")
            bundle = cls(
                custody_id=b64u_decode(data["custody_id"], length=16, what="custody_id"),
                threshold=_int(data["threshold"], 1, MAX_CUSTODIANS, "threshold"),
                opening_pub=b64u_decode(data["opening_pub"], length=32, what="opening_pub"),
                wrapped_key=b64u_decode(data["wrapped_key"], length=60, what="wrapped_key"),
                key_check=b64u_decode(data["key_check"], length=32, what="key_check"),
                shares=tuple(SealedShare.from_dict(s) for s in data["shares"]),
                share_digests=tuple(
                    b64u_decode(d, length=32, what="share digest")
                    for d in data.get("share_digests", ())
                ),
            )
            if bundle.share_digests and len(bundle.share_digests) != len(bundle.shares):
                raise CustodyError("one share digest per share is required")
        except (KeyError, TypeError) as exc:
            raise CustodyError(f"malformed custody bundle: {exc}") from exc
        except CustodyError:
            raise
        except CryptoError as exc:
            raise CustodyError(f"malformed custody bundle: {exc}") from exc
        return bundle


def _int(value: Any, lo: int, hi: int, what: str) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise CustodyError(f"{what} must be an int in {lo}..{hi}")
    return value


def create_custody(
    threshold: int, custodian_enc_pubs: Sequence[bytes]
) -> tuple[bytes, CustodyBundle]:
    """Generate a lot's opening key pair and split it among custodians (share i+1 goes to
    ``custodian_enc_pubs[i]``). Returns (opening_pub, bundle); the private key is dropped."""
    n = len(custodian_enc_pubs)
    if not 1 <= n <= MAX_CUSTODIANS:
        raise ParameterError(f"between 1 and {MAX_CUSTODIANS} custodians are required")
    if type(threshold) is not int or not 1 <= threshold <= n:
        raise ParameterError(f"threshold must be an int in 1..{n}")
    pubs = [
        check_x25519_public(p, f"custodian {i + 1} public key")
        for i, p in enumerate(custodian_enc_pubs)
    ]
    if len(set(pubs)) != n:
        raise ParameterError("custodian public keys must be distinct")

    opening_priv, opening_pub = x25519_generate()
    custody_id = get_random_bytes(16)
    context = _context(custody_id, threshold, opening_pub)
    kek = get_random_bytes(16)
    nonce = get_random_bytes(12)
    aes = AES.new(_wrap_key(kek), AES.MODE_GCM, nonce=nonce)
    aes.update(_WRAP_INFO + context)
    ct, tag = aes.encrypt_and_digest(opening_priv)

    shares, digests = [], []
    for (index, share), pub in zip(Shamir.split(threshold, n, kek), pubs, strict=True):
        digests.append(share_digest(custody_id, index, share))
        sealed = SealedShare(
            custody_id=custody_id,
            threshold=threshold,
            opening_pub=opening_pub,
            index=index,
            custodian_fingerprint=hashlib.sha256(pub).hexdigest(),
            enc=b"",
            ciphertext=b"",
        )
        enc, wrapped = _hpke.seal(pub, sealed._info(), sealed._aad(), share)
        shares.append(SealedShare(**{**sealed.__dict__, "enc": enc, "ciphertext": wrapped}))
    bundle = CustodyBundle(
        custody_id=custody_id,
        threshold=threshold,
        opening_pub=opening_pub,
        wrapped_key=nonce + ct + tag,
        key_check=_key_check(kek),
        shares=tuple(shares),
        share_digests=tuple(digests),
    )
    return opening_pub, bundle


def open_share(
    sealed_share: SealedShare | dict[str, Any], custodian_enc_priv: bytes
) -> ReleasedShare:
    """A custodian decrypts its share (on its own machine) to release it at the opening."""
    if isinstance(sealed_share, dict):
        sealed_share = SealedShare.from_dict(sealed_share)
    fp = hashlib.sha256(x25519_public(custodian_enc_priv)).hexdigest()
    if not hmac.compare_digest(fp, sealed_share.custodian_fingerprint):
        raise CustodyError(f"share {sealed_share.index} is not sealed to this custodian key")
    try:
        share = _hpke.open_(
            custodian_enc_priv,
            sealed_share.enc,
            sealed_share._info(),
            sealed_share._aad(),
            sealed_share.ciphertext,
        )
    except ValueError as exc:
        raise CustodyError(f"share {sealed_share.index} failed to decrypt (tampered)") from exc
    return ReleasedShare(custody_id=sealed_share.custody_id, index=sealed_share.index, share=share)


def recover_opening_key(
    bundle: CustodyBundle | dict[str, Any], shares: Sequence[ReleasedShare]
) -> bytes:
    """Rebuild the opening private key from at least ``threshold`` released shares.

    Raises :class:`CustodyError` rather than ever returning a wrong key.
    """
    if isinstance(bundle, dict):
        bundle = CustodyBundle.from_dict(bundle)
    points: dict[int, bytes] = {}
    for s in shares:
        if not hmac.compare_digest(s.custody_id, bundle.custody_id):
            raise CustodyError(f"share {s.index} belongs to another custody bundle")
        if type(s.index) is not int or not 1 <= s.index <= MAX_CUSTODIANS or len(s.share) != 16:
            raise CustodyError(f"share {s.index!r} is malformed")
        if s.index in points:
            if points[s.index] != s.share:
                raise CustodyError(f"two different shares with index {s.index}")
            continue
        bundle.check_share(s)
        points[s.index] = s.share
    if len(points) < bundle.threshold:
        raise CustodyError(
            f"{KEY_CHECK_FAILED} (need {bundle.threshold} distinct shares, got {len(points)})"
        )
    # All distinct shares are interpolated: a degree k-1 polynomial through more than k
    # points is unchanged, and a bad extra share is caught rather than silently ignored.
    kek = Shamir.combine(sorted(points.items()))
    if not hmac.compare_digest(_key_check(kek), bundle.key_check):
        raise CustodyError(KEY_CHECK_FAILED)
    nonce, ct, tag = bundle.wrapped_key[:12], bundle.wrapped_key[12:-16], bundle.wrapped_key[-16:]
    aes = AES.new(_wrap_key(kek), AES.MODE_GCM, nonce=nonce)
    aes.update(_WRAP_INFO + _context(bundle.custody_id, bundle.threshold, bundle.opening_pub))
    try:
        opening_priv = aes.decrypt_and_verify(ct, tag)
    except ValueError as exc:
        raise CustodyError("wrapped opening key failed authentication (tampered bundle)") from exc
    if x25519_public(opening_priv) != bundle.opening_pub:
        raise CustodyError("recovered key does not match the opening public key")
    return opening_priv
