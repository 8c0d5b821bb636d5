"""What a committee member signs with their Ed25519 key, and the check against the key they
registered (PUT /api/v1/me/keys, the bidders' key machinery).

The member's browser (static/js/expert-sign.js) or a script builds the same statement, takes
its canonical JSON (crypto/canonical.py; static/js/canonical.js writes the same bytes) and
signs it; the server rebuilds the statement from its own records and verifies, so a signature
binds exactly this lot, committee, seat and text and cannot be replayed elsewhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.canonical import canonical_json
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from crypto.keys import key_id
from crypto.signing import verify
from trading.kernel.errors import Conflict, ValidationFailed
from trading.parties.models import PartyKey

DECLARATION_TYPE = "bidhall-expert-declaration"
REPORT_SIGNATURE_TYPE = "bidhall-evaluation-report-signature"


def declaration_statement(
    lot_id: int, committee_id: int, member_id: int, position: int, text: str
) -> dict[str, Any]:
    return {
        "type": DECLARATION_TYPE,
        "v": 1,
        "lot_id": lot_id,
        "committee_id": committee_id,
        "member_id": member_id,
        "position": position,
        "text": text,
    }


def report_statement(
    lot_id: int, version: int, report_sha256: str, position: int, dissent: str
) -> dict[str, Any]:
    """Hash-then-sign: the report's canonical JSON enters through its SHA-256, which the
    browser recomputes from the document it shows before signing."""
    return {
        "type": REPORT_SIGNATURE_TYPE,
        "v": 1,
        "lot_id": lot_id,
        "version": version,
        "report_sha256": report_sha256,
        "position": position,
        "dissent": dissent,
    }


async def current_key(session: AsyncSession, user_id: int) -> PartyKey | None:
    return await session.scalar(
        select(PartyKey)
        .where(PartyKey.user_id == user_id, PartyKey.revoked_at.is_(None))
        .order_by(PartyKey.id.desc())
        .limit(1)
    )


async def verify_member(
    session: AsyncSession, user_id: int, statement: dict[str, Any], signature: str
) -> PartyKey:
    """The caller's current registered key, once `signature` verifies over the statement."""
    key = await current_key(session, user_id)
    if key is None:
        raise Conflict("请先生成并登记签名密钥 / register your signing key first")
    try:
        raw = b64u_decode(signature, length=64, what="signature")
        verify(b64u_decode(key.sign_pub, length=32, what="key"), canonical_json(statement), raw)
    except CryptoError as exc:
        raise ValidationFailed(
            f"signature: 签名无效（须用已登记的密钥签署）/ the signature does not verify against"
            f" your registered key {key_id(b64u_decode(key.sign_pub))}: {exc}"
        ) from exc
    return key
