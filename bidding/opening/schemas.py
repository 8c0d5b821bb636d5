"""Shapes of the opening API."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec


class ShareIn(msgspec.Struct, forbid_unknown_fields=True):
    """The released share {custody_id, index, share}; checked by the service, so that anything
    else is a 422 with a sentence rather than a schema error."""

    share: Any = None


class OpeningOut(msgspec.Struct):
    lot_id: int
    state: str


class FileKeyIn(msgspec.Struct, forbid_unknown_fields=True):
    """The bid's file key, unwrapped by the bidder from its own stanza (base64url, 32 bytes)."""

    file_key: Annotated[str, msgspec.Meta(min_length=43, max_length=43)]
