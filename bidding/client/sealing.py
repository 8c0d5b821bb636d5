"""The bidder's side, run on the bidder's machine: pack, seal to the lot's key, sign.

Nothing here touches the platform's database; the CLI, the demo and tests share it so a
sealed bid is made one way only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from crypto import bundle, envelope, receipts, signing
from crypto.encoding import b64u_encode
from crypto.keys import Identity
from crypto.labels import BIDDER_LABEL, OPENING_LABEL


@dataclass(frozen=True)
class SealedBid:
    path: Path
    header_sha256: str
    ciphertext_sha256: str
    size: int
    signature: str  # base64url Ed25519 over receipts.submission_message(...)


def seal_bid(
    identity: Identity,
    *,
    lot_id: str,
    bidder_id: str,
    version: int,
    opening_pub: bytes,
    price_form: dict[str, Any],
    files: Sequence[tuple[str, BinaryIO | str | Path]] = (),
    out: Path,
    to_self: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SealedBid:
    """Pack the price form and files, seal them (to the lot, and to ourselves for 不见面开标).

    ``progress(done, total)`` follows the sealing in plaintext bytes (for progress bars).
    """
    recipients = [(OPENING_LABEL, opening_pub)]
    if to_self:
        recipients.append((BIDDER_LABEL, identity.enc_pub))
    with tempfile.TemporaryFile() as plain:
        bundle.pack_bundle(price_form, list(files), plain)
        total = plain.tell()
        plain.seek(0)
        if progress is not None:
            progress(0, total)
        with out.open("wb") as dst:
            result = envelope.seal(
                plain,
                dst,
                lot_id=lot_id,
                bidder_id=bidder_id,
                version=version,
                recipients=recipients,
                progress=None if progress is None else (lambda done: progress(done, total)),
            )
    message = receipts.submission_message(
        lot_id, bidder_id, version, result.header_sha256, result.ciphertext_sha256
    )
    return SealedBid(
        path=out,
        header_sha256=result.header_sha256,
        ciphertext_sha256=result.ciphertext_sha256,
        size=result.size,
        signature=b64u_encode(signing.sign(identity.sign_priv, message)),
    )


def own_file_key(header: envelope.Header, identity: Identity) -> str:
    """The bid's file key, unwrapped from the bidder's own stanza (base64url, to release)."""
    return b64u_encode(envelope.unwrap_file_key(header, identity.enc_priv))
