"""A custodian's released share, checked before it is kept: a body that is not a share, a share
of another lot's key, another custodian's share or bytes that are not the share split for this
custodian (its digest, crypto.custody) is refused with a sentence (422) instead of being
stored, where it would only make the key recovery fail later."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening.models import ReleasedShare
from crypto import custody
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from trading.kernel.errors import Conflict, ValidationFailed
from trading.projects.models import Lot

NOT_A_SHARE = (
    "这不是有效的已释放密钥分片（需要 custody_id、index、share 三项，由您的密钥打开密封分片得到）"
    " / this is not a released key share (it needs custody_id, index and share, as opening your"
    " sealed share with your key gives them)"
)


def parse_release(lot: Lot, custodian_id: int | None, share: Any) -> custody.ReleasedShare:
    """The released share if it is this custodian's share of this lot's opening key."""
    try:
        released = custody.ReleasedShare.from_dict(share)
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(NOT_A_SHARE) from exc
    bundle = (lot.custody or {}).get("bundle") or {}
    try:
        custody_id = b64u_decode(bundle["custody_id"], length=16, what="custody_id")
    except (CryptoError, KeyError, TypeError) as exc:  # a lot published without custody
        raise ValidationFailed(
            "本标段没有托管的开标密钥 / this lot has no opening key in custody"
        ) from exc
    if not hmac.compare_digest(released.custody_id, custody_id):
        raise ValidationFailed(
            "该分片属于另一个标段的开标密钥 / this share belongs to another lot's opening key"
        )
    custodians = list((lot.custody or {}).get("custodians", []))
    # Share i+1 was sealed to custodians[i] when the lot was published (crypto.custody).
    mine = custodians.index(custodian_id) + 1 if custodian_id in custodians else None
    if released.index != mine:
        raise ValidationFailed(
            f"该分片不是您保管的那一份（您的分片编号为 #{mine}）"
            f" / this is not your share (yours is #{mine})"
        )
    try:
        custody.CustodyBundle.from_dict(bundle).check_share(released)
    except CryptoError as exc:
        raise ValidationFailed(
            f"分片 #{mine} 的内容与拆分时的承诺值不符：请用您的密钥重新打开密封分片后再释放"
            f" / share #{mine} is not the share split for you (its digest differs): open your"
            " sealed share with your key again and release what that gives"
        ) from exc
    return released


async def released_at(
    session: AsyncSession, lot_id: int, custodian_id: int | None
) -> datetime | None:
    """When this custodian released its share of the lot, or None."""
    return await session.scalar(
        select(ReleasedShare.released_at).where(
            ReleasedShare.lot_id == lot_id, ReleasedShare.custodian_id == custodian_id
        )
    )


def already_released(when: datetime) -> Conflict:
    return Conflict(
        f"您已于 {when.isoformat()} 释放过本标段的密钥分片，无需再次释放"
        f" / you released your share of this lot already ({when.isoformat()})"
    )
