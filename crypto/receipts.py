"""Submission receipts and the exact message a bidder signs when submitting.

A receipt is the platform's signed statement that it received a given ciphertext for a
lot, bidder and version at a given time, recorded at a given audit-log index. It verifies
offline with the platform's published Ed25519 key.
"""

from __future__ import annotations

from typing import Any

from crypto.canonical import canonical_json
from crypto.encoding import is_hex_digest
from crypto.errors import ParameterError, ReceiptError, SignatureError
from crypto.signing import is_utc_timestamp, sign_object, verify_object

RECEIPT_TYPE = "bidhall-receipt"
SUBMISSION_TYPE = "bidhall-submission"
_RECEIPT_FIELDS = {
    "type",
    "v",
    "lot_id",
    "bidder_id",
    "version",
    "ciphertext_sha256",
    "size",
    "received_at",
    "audit_index",
    "key_id",
}


def _problems(f: dict[str, Any]) -> list[str]:
    out = []
    for name in ("lot_id", "bidder_id", "key_id"):
        if not isinstance(f.get(name), str) or not f[name]:
            out.append(f"{name} must be a non-empty string")
    if type(f.get("version")) is not int or f["version"] < 1:
        out.append("version must be a positive int")
    if type(f.get("size")) is not int or f["size"] < 0:
        out.append("size must be a non-negative int")
    if type(f.get("audit_index")) is not int or f["audit_index"] < 0:
        out.append("audit_index must be a non-negative int")
    if not is_hex_digest(f.get("ciphertext_sha256")):
        out.append("ciphertext_sha256 must be 64 lowercase hex characters")
    if not is_utc_timestamp(f.get("received_at")):
        out.append("received_at must be an ISO-8601 UTC timestamp")
    return out


def issue_receipt(
    platform_sign_priv: bytes,
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    ciphertext_sha256: str,
    size: int,
    received_at: str,
    audit_index: int,
    key_id: str,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "type": RECEIPT_TYPE,
        "v": 1,
        "lot_id": lot_id,
        "bidder_id": bidder_id,
        "version": version,
        "ciphertext_sha256": ciphertext_sha256,
        "size": size,
        "received_at": received_at,
        "audit_index": audit_index,
        "key_id": key_id,
    }
    problems = _problems(fields)
    if problems:
        raise ParameterError("; ".join(problems))
    return sign_object(platform_sign_priv, fields)


def verify_receipt(receipt: Any, platform_sign_pub: bytes) -> None:
    """Raise :class:`ReceiptError` unless the receipt is well formed and genuine."""
    if not isinstance(receipt, dict):
        raise ReceiptError("receipt must be an object")
    if receipt.get("type") != RECEIPT_TYPE or receipt.get("v") != 1:
        raise ReceiptError("not a bidhall receipt (type or version)")
    keys = set(receipt) - {"signature"}
    if keys != _RECEIPT_FIELDS:
        missing = sorted(_RECEIPT_FIELDS - keys)
        extra = sorted(keys - _RECEIPT_FIELDS)
        raise ReceiptError(f"receipt fields wrong: missing {missing}, unknown {extra}")
    problems = _problems(receipt)
    if problems:
        raise ReceiptError("; ".join(problems))
    try:
        verify_object(receipt, platform_sign_pub)
    except SignatureError as exc:
        raise ReceiptError(f"receipt signature invalid: {exc}") from exc


def submission_message(
    lot_id: str, bidder_id: str, version: int, header_sha256: str, ciphertext_sha256: str
) -> bytes:
    """The exact bytes a bidder signs (Ed25519) to submit a sealed bid: canonical JSON of
    type, v, lot_id, bidder_id, version, header_sha256, ciphertext_sha256."""
    if not isinstance(lot_id, str) or not lot_id or not isinstance(bidder_id, str) or not bidder_id:
        raise ParameterError("lot_id and bidder_id must be non-empty strings")
    if type(version) is not int or version < 1:
        raise ParameterError("version must be a positive int")
    if not is_hex_digest(header_sha256) or not is_hex_digest(ciphertext_sha256):
        raise ParameterError("digests must be 64 lowercase hex characters")
    return canonical_json(
        {
            "type": SUBMISSION_TYPE,
            "v": 1,
            "lot_id": lot_id,
            "bidder_id": bidder_id,
            "version": version,
            "header_sha256": header_sha256,
            "ciphertext_sha256": ciphertext_sha256,
        }
    )
