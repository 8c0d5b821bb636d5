"""Single-shot HPKE (RFC 9180) in the one suite bidhall uses.

Suite: mode_base, DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001,
AES-256-GCM 0x0002. Every step is X25519, HMAC-SHA256 and AES-GCM, so a browser can
implement it with WebCrypto alone. Only sequence number 0 is ever used (one message).
"""

from __future__ import annotations

from Crypto.Protocol import HPKE
from Crypto.Protocol.DH import import_x25519_private_key, import_x25519_public_key
from Crypto.PublicKey.ECC import EccKey

ENC_LEN = 32  # X25519 ephemeral public key
TAG_LEN = 16


class _FixedEphemeral(HPKE.HPKE_Cipher):
    """HPKE sender context with a caller-chosen ephemeral key.

    Only for known-answer tests: pycryptodome's public API always draws a fresh
    ephemeral key, so we hook its (private) encapsulation step.
    """

    _eph: EccKey

    def _encap(  # type: ignore[override]
        self,
        receiver_key: EccKey,
        kem_id: int,
        hashmod: object,
        sender_key: EccKey | None = None,
        eph_key: EccKey | None = None,
    ) -> tuple[bytes, bytes]:
        return HPKE.HPKE_Cipher._encap(receiver_key, kem_id, hashmod, sender_key, self._eph)  # type: ignore[arg-type]


def seal(
    recipient_pub: bytes,
    info: bytes,
    aad: bytes,
    plaintext: bytes,
    *,
    eph_priv: bytes | None = None,
) -> tuple[bytes, bytes]:
    """Return (enc, ciphertext||tag). ``eph_priv`` fixes the ephemeral key (tests only)."""
    receiver = import_x25519_public_key(recipient_pub)
    if eph_priv is None:
        ctx = HPKE.new(receiver_key=receiver, aead_id=HPKE.AEAD.AES256_GCM, info=info)
    else:
        ctx = _FixedEphemeral.__new__(_FixedEphemeral)
        ctx._eph = import_x25519_private_key(eph_priv)
        HPKE.HPKE_Cipher.__init__(
            ctx, receiver, None, None, (b"", b""), info, HPKE.AEAD.AES256_GCM, HPKE.MODE.BASE
        )
    ct = ctx.seal(plaintext, aad)
    return ctx.enc, ct


def open_(recipient_priv: bytes, enc: bytes, info: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    """Decrypt; raise ValueError on any failure (bad enc point, wrong key, altered data)."""
    receiver = import_x25519_private_key(recipient_priv)
    ctx = HPKE.new(receiver_key=receiver, aead_id=HPKE.AEAD.AES256_GCM, enc=enc, info=info)
    return ctx.unseal(ciphertext, aad)
