"""Ed25519 signatures (RFC 8032, pure) and the platform's certificates over party keys."""

from __future__ import annotations

import re
from typing import Any

from Crypto.Signature import eddsa

from crypto.canonical import canonical_json
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import (
    CertificateError,
    CryptoError,
    EncodingError,
    ParameterError,
    SignatureError,
)
from crypto.keys import PublicIdentity

CERT_TYPE = "bidhall-party-certificate"
CERT_VERSION = 1
_SUBJECT_FIELDS = ("party_id", "name", "sign_pub", "enc_pub", "issued_at")
# ISO-8601 UTC with an explicit zone: "2026-11-03T08:00:00Z" or "...+00:00", optional fraction.
_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)$")


def is_utc_timestamp(value: object) -> bool:
    return isinstance(value, str) and bool(_UTC_RE.match(value))


def sign(sign_priv: bytes, message: bytes) -> bytes:
    """Ed25519 signature (64 bytes) of ``message`` under a raw 32-byte private seed."""
    if not isinstance(sign_priv, bytes | bytearray) or len(sign_priv) != 32:
        raise ParameterError("Ed25519 private key must be 32 bytes")
    key = eddsa.import_private_key(bytes(sign_priv))
    return eddsa.new(key, "rfc8032").sign(message)


def verify(sign_pub: bytes, message: bytes, signature: bytes) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is valid for ``message``."""
    if not isinstance(signature, bytes | bytearray) or len(signature) != 64:
        raise SignatureError("signature must be 64 bytes")
    try:
        key = eddsa.import_public_key(bytes(sign_pub))
    except (ValueError, TypeError) as exc:
        raise SignatureError("signing public key is not a valid Ed25519 key") from exc
    try:
        eddsa.new(key, "rfc8032").verify(message, bytes(signature))
    except ValueError as exc:
        raise SignatureError("signature does not verify") from exc


def sign_object(sign_priv: bytes, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` plus ``signature``: base64url Ed25519 over canonical_json(fields)."""
    if "signature" in fields:
        raise ParameterError("fields to sign must not contain 'signature'")
    return {**fields, "signature": b64u_encode(sign(sign_priv, canonical_json(fields)))}


def verify_object(obj: Any, sign_pub: bytes) -> dict[str, Any]:
    """Check a :func:`sign_object` result; return the signed fields (without signature)."""
    if not isinstance(obj, dict) or "signature" not in obj:
        raise SignatureError("signed object lacks a signature")
    fields = {k: v for k, v in obj.items() if k != "signature"}
    try:
        signature = b64u_decode(obj["signature"], length=64, what="signature")
        message = canonical_json(fields)
    except EncodingError as exc:
        raise SignatureError(str(exc)) from exc
    verify(sign_pub, message, signature)
    return fields


def _check_subject(subject: Any) -> dict[str, Any]:
    if not isinstance(subject, dict):
        raise CertificateError("certificate subject must be an object")
    missing = [f for f in _SUBJECT_FIELDS if f not in subject]
    if missing:
        raise CertificateError(f"certificate subject lacks {', '.join(missing)}")
    extra = sorted(set(subject) - set(_SUBJECT_FIELDS))
    if extra:
        raise CertificateError(f"certificate subject has unknown fields {', '.join(extra)}")
    for name in ("party_id", "name"):
        if not isinstance(subject[name], str) or not subject[name]:
            raise CertificateError(f"certificate subject {name} must be a non-empty string")
    if not is_utc_timestamp(subject["issued_at"]):
        raise CertificateError("certificate issued_at must be an ISO-8601 UTC timestamp")
    try:
        PublicIdentity.from_dict({"sign_pub": subject["sign_pub"], "enc_pub": subject["enc_pub"]})
    except CryptoError as exc:
        raise CertificateError(f"certificate subject keys: {exc}") from exc
    return dict(subject)


def certify(platform_priv: bytes, subject: dict[str, Any]) -> dict[str, Any]:
    """The platform's signed statement that ``subject``'s keys belong to that party.

    ``subject`` holds party_id, name, sign_pub, enc_pub (base64url, as in
    :meth:`PublicIdentity.to_dict`) and issued_at (ISO-8601 UTC).
    """
    try:
        checked = _check_subject(subject)
    except CertificateError as exc:
        raise ParameterError(str(exc)) from exc
    return sign_object(platform_priv, {"type": CERT_TYPE, "v": CERT_VERSION, "subject": checked})


def verify_certificate(cert: Any, platform_pub: bytes) -> dict[str, Any]:
    """Raise :class:`CertificateError` unless ``cert`` is genuine; return its subject."""
    if not isinstance(cert, dict):
        raise CertificateError("certificate must be an object")
    if cert.get("type") != CERT_TYPE or cert.get("v") != CERT_VERSION:
        raise CertificateError("not a bidhall party certificate (type or version)")
    if set(cert) != {"type", "v", "subject", "signature"}:
        raise CertificateError("certificate has missing or unknown fields")
    subject = _check_subject(cert["subject"])
    try:
        verify_object(cert, platform_pub)
    except SignatureError as exc:
        raise CertificateError(f"certificate signature invalid: {exc}") from exc
    return subject
