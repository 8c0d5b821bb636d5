"""The bidder's part of the opening as JSON: check-in (签到), its own status, its own header.

The file key itself is released through the opening API (POST .../bids/mine/file-key): the
browser unwraps it from the header given here with the bidder's own key (never sent).
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening import attendance
from bidding.submission.models import Bid, BidStatus
from bidding.submission.service import bidder_org
from crypto import envelope
from crypto.encoding import b64u_encode
from crypto.errors import CryptoError
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.errors import NotFound
from trading.kernel.runtime import Runtime
from trading.kernel.web import requires
from trading.projects.service import get_lot


class AttendanceApi(Controller):
    path = "/api/v1/lots/{lot_id:int}"
    tags = ["opening"]  # noqa: RUF012

    @post("/opening/check-in", guards=[requires(Role.BIDDER)], status_code=200)
    async def check_in(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
    ) -> dict[str, Any]:
        """签到 (电子招标投标办法 第29条): from `checkin_window_minutes` before the opening until
        it starts (409 outside it), only with a bid on the lot (404); idempotent. A record of
        attendance, not a condition for decryption. Answers the bidder's opening status."""
        await attendance.check_in(db_session, lot_id, request.user, rt.context())
        return await _mine(db_session, lot_id, request.user, rt)

    @get("/opening/mine", guards=[requires(Role.BIDDER)])
    async def mine(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
    ) -> dict[str, Any]:
        """The bidder's own part in the opening: check-in, its bid's state, its row in the
        hall's roster and the end of the decryption window."""
        return await _mine(db_session, lot_id, request.user, rt)

    @get("/bids/mine/header", guards=[requires(Role.BIDDER)])
    async def my_header(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
    ) -> dict[str, Any]:
        """The envelope header of the bidder's own bid that still counts (base64url): its own
        stanza in it unwraps the file key in the bidder's browser (不见面开标)."""
        org = await bidder_org(db_session, request.user)
        lot = await get_lot(db_session, lot_id, request.user)
        bid = await db_session.scalar(
            select(Bid).where(
                Bid.lot_id == lot.id, Bid.bidder_org_id == org.id, Bid.status == BidStatus.ACTIVE
            )
        )
        if bid is None:
            raise NotFound("没有待解密的本单位投标 / no bid of yours is waiting to be decrypted")
        raw = await asyncio.to_thread(_header_bytes, rt.blobs, bid.ciphertext_sha256)
        return {"bid_id": bid.id, "version": bid.version, "header": b64u_encode(raw)}


def _header_bytes(blobs: LocalBlobStore, sha256: str) -> bytes:
    try:
        with blobs.open(sha256) as src:
            return envelope.read_header(src).raw
    except (CryptoError, FileNotFoundError) as exc:
        raise NotFound(f"投标文件不可读 / the sealed file cannot be read: {exc}") from exc


async def _mine(session: AsyncSession, lot_id: int, actor: Actor, rt: Runtime) -> dict[str, Any]:
    mine = await attendance.my_opening(session, lot_id, actor, rt.clock.now(), rt.settings)
    return mine.as_json()


ROUTES = [AttendanceApi]
