"""How the platform names things inside an envelope header.

The header's lot id is free text to the format; the platform writes ``lot-<id>`` and
reads it back here, so sealing (bidder side) and checking (platform side) agree.
Recipient stanza labels name whose key unwraps the file key.
"""

from __future__ import annotations

import hashlib
import re

OPENING_LABEL = "opening"  # stanza for the lot's opening (custody) key
BIDDER_LABEL = "bidder"  # stanza for the bidder itself: it releases the file key (不见面开标)
# At most 18 digits, so the id always fits a signed 64-bit database column.
_LOT_LABEL = re.compile(r"^lot-([1-9][0-9]{0,17})$")


def envelope_lot_id(lot_id: int) -> str:
    """How a lot is named inside an envelope header (bidding.service uses the same form)."""
    return f"lot-{lot_id}"


def lot_id_of(envelope_lot: str) -> int | None:
    """The platform lot id named by an envelope header, or None if it names no lot."""
    found = _LOT_LABEL.match(envelope_lot)
    return int(found.group(1)) if found else None


def bidder_commitment(salt: bytes, uscc: str) -> str:
    """How audit entries name a bidder before the opening (招标投标法 22: who bids stays secret):
    SHA-256 over a per-lot secret salt and the bidder's USCC. The opening record reveals the
    salt, so anyone can then match each commitment to the bidder it names."""
    return hashlib.sha256(b"bidhall/bidder/v1\x00" + salt + uscc.encode("utf-8")).hexdigest()
