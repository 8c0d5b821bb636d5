from __future__ import annotations

import json
from typing import Any

import pytest

from crypto.canonical import sha256_hex
from crypto.errors import ParameterError, ReceiptError
from crypto.keys import Identity, generate_identity, key_id
from crypto.receipts import issue_receipt, submission_message, verify_receipt
from crypto.signing import sign, verify

DIGEST = sha256_hex(b"ciphertext")


def _receipt(platform: Identity, **over: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "lot_id": "LOT-2026-001-1",
        "bidder_id": "91110000600037341L",
        "version": 2,
        "ciphertext_sha256": DIGEST,
        "size": 123_456_789,
        "received_at": "2026-11-03T01:59:59.123456Z",
        "audit_index": 42,
        "key_id": key_id(platform.sign_pub),
    }
    fields.update(over)
    return issue_receipt(platform.sign_priv, **fields)


def test_round_trip_through_json(platform: Identity) -> None:
    receipt = json.loads(json.dumps(_receipt(platform), ensure_ascii=False))
    verify_receipt(receipt, platform.sign_pub)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lot_id", "LOT-2026-001-2"),
        ("bidder_id", "91110000600037341X"),
        ("version", 1),
        ("ciphertext_sha256", sha256_hex(b"other")),
        ("size", 123_456_788),
        ("received_at", "2026-11-03T01:59:58.123456Z"),
        ("audit_index", 41),
        ("key_id", "ed25519:0000000000000000"),
    ],
)
def test_tampered_field(platform: Identity, field: str, value: object) -> None:
    receipt = _receipt(platform)
    receipt[field] = value
    with pytest.raises(ReceiptError, match="signature invalid"):
        verify_receipt(receipt, platform.sign_pub)


def test_tampered_signature_shape_and_key(platform: Identity) -> None:
    receipt = _receipt(platform)
    sig = receipt["signature"]
    bad = {**receipt, "signature": ("B" if sig[0] == "A" else "A") + sig[1:]}
    with pytest.raises(ReceiptError):
        verify_receipt(bad, platform.sign_pub)
    with pytest.raises(ReceiptError, match="signature invalid"):
        verify_receipt(receipt, generate_identity().sign_pub)
    with pytest.raises(ReceiptError, match="unknown"):
        verify_receipt({**receipt, "note": "x"}, platform.sign_pub)
    with pytest.raises(ReceiptError, match="missing"):
        verify_receipt({k: v for k, v in receipt.items() if k != "size"}, platform.sign_pub)
    with pytest.raises(ReceiptError, match="size must be"):
        verify_receipt({**receipt, "size": "123456789"}, platform.sign_pub)
    with pytest.raises(ReceiptError, match="not a bidhall receipt"):
        verify_receipt({**receipt, "type": "bidhall-tree-head"}, platform.sign_pub)


@pytest.mark.parametrize(
    "over",
    [
        {"received_at": "2026-11-03 01:59:59"},
        {"received_at": "2026-11-03T09:59:59+08:00"},
        {"ciphertext_sha256": DIGEST.upper()},
        {"version": 0},
        {"size": -1},
        {"audit_index": 1.0},
    ],
)
def test_issue_validates(platform: Identity, over: dict[str, Any]) -> None:
    with pytest.raises(ParameterError):
        _receipt(platform, **over)


def test_submission_message_is_canonical_and_signable(platform: Identity) -> None:
    msg = submission_message("LOT-1", "B-1", 1, sha256_hex(b"h"), DIGEST)
    assert msg == (
        b'{"bidder_id":"B-1","ciphertext_sha256":"' + DIGEST.encode() + b'","header_sha256":"'
        + sha256_hex(b"h").encode() + b'","lot_id":"LOT-1","type":"bidhall-submission","v":1,'
        b'"version":1}'
    )  # fmt: skip
    verify(platform.sign_pub, msg, sign(platform.sign_priv, msg))
    assert msg != submission_message("LOT-1", "B-1", 2, sha256_hex(b"h"), DIGEST)
    with pytest.raises(ParameterError):
        submission_message("LOT-1", "B-1", 1, "xyz", DIGEST)
