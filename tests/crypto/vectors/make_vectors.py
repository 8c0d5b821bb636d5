"""Regenerate envelope.json (known-answer vectors for docs/envelope.md).

    .venv/bin/python tests/crypto/vectors/make_vectors.py

Only run this on a deliberate format change: the test suite checks that the committed
vectors are reproduced byte for byte, which is what catches accidental changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from crypto import envelope as env
from crypto.keys import x25519_public


def fixed(label: str, n: int = 32) -> bytes:
    return hashlib.sha256(b"bidhall test vector: " + label.encode()).digest()[:n]


def vector(name: str, plaintext: bytes, chunk_size: int, labels: list[str]) -> dict[str, object]:
    recipients = []
    for label in labels:
        priv = fixed(f"{name} {label} private key")
        recipients.append(
            {
                "label": label,
                "priv": priv.hex(),
                "pub": x25519_public(priv).hex(),
                "eph_priv": fixed(f"{name} {label} ephemeral key").hex(),
            }
        )
    file_key = fixed(f"{name} file key")
    nonce_prefix = fixed(f"{name} nonce prefix", env.NONCE_PREFIX_LEN)
    lot, bidder, version = "LOT-2026-0001-1", "91110000600037341L-投标人", 2
    out = io.BytesIO()
    result = env._seal_deterministic(
        io.BytesIO(plaintext),
        out,
        lot_id=lot,
        bidder_id=bidder,
        version=version,
        recipients=[(r["label"], bytes.fromhex(r["pub"])) for r in recipients],
        file_key=file_key,
        nonce_prefix=nonce_prefix,
        eph_privs=[bytes.fromhex(r["eph_priv"]) for r in recipients],
        chunk_size=chunk_size,
        _min_chunk_for_tests=64,
    )
    return {
        "name": name,
        "lot_id": lot,
        "bidder_id": bidder,
        "version": version,
        "chunk_size": chunk_size,
        "recipients": recipients,
        "file_key": file_key.hex(),
        "nonce_prefix": nonce_prefix.hex(),
        "hpke_info": (env.HPKE_INFO_PREFIX + env._binding(lot, bidder, version)).hex(),
        "header_key": env._header_key(file_key).hex(),
        "payload_key": env._payload_key(file_key, nonce_prefix).hex(),
        "plaintext": plaintext.hex(),
        "header": result.header.hex(),
        "header_sha256": result.header_sha256,
        "ciphertext_sha256": result.ciphertext_sha256,
        "envelope": out.getvalue().hex(),
    }


def main() -> None:
    text = "开标一览表 price=12345678.90 CNY; ".encode() * 30
    vectors = [
        vector("three-and-a-half-chunks", text[: 64 * 3 + 32], 64, ["opening", "bidder"]),
        vector("exactly-two-chunks", bytes(range(128)), 64, ["opening"]),
        vector("empty", b"", 64, ["opening"]),
    ]
    doc = {
        "description": "Known-answer vectors for the bidhall sealed envelope, format 1 "
        "(docs/envelope.md). Chunk size 64 is below the 1 MiB minimum and valid only in "
        "tests; everything else is the production format. All binary values are hex.",
        "vectors": vectors,
    }
    path = Path(__file__).with_name("envelope.json")
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
