"""Bidding JSON API: streamed sealed submission, withdrawal, receipts, custody, the opening."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.exceptions import ClientException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service
from bidding.models import Bid, Opening
from bidding.schemas import OpeningOut, ReceiptOut, ShareIn
from crypto.custody import CustodyBundle
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from trading.actor import Actor
from trading.enums import Role
from trading.errors import Forbidden, NotFound
from trading.models import PartyKey
from trading.openings import context, run_opening
from trading.service import get_lot, manages
from trading.web import requires, runtime

SIGNATURE_HEADER = "x-bid-signature"


class BidApi(Controller):
    path = "/api/v1/lots/{lot_id:int}"
    tags = ["bidding"]  # noqa: RUF012

    @post(
        "/bids",
        guards=[requires(Role.BIDDER)],
        status_code=201,
        request_max_body_size=service.MAX_BID_BYTES,
    )
    async def submit(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> ReceiptOut:
        """Body: the sealed envelope (application/octet-stream), streamed to disk."""
        if (
            request.headers.get("content-type", "").split(";")[0].strip()
            != "application/octet-stream"
        ):
            raise ClientException(
                "Content-Type must be application/octet-stream (a sealed envelope)"
            )
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise ClientException(
                f"missing {SIGNATURE_HEADER} header (the bidder's Ed25519 signature)"
            )
        rt = runtime(request)
        # Cheap checks first, so a late or foreign upload is refused before its body is read.
        await get_lot(db_session, lot_id, request.user)
        staged = await rt.blobs.stage(request.stream(), max_size=service.MAX_BID_BYTES)
        bid = await service.submit_bid(
            db_session, lot_id, request.user, staged, signature, context(rt)
        )
        return ReceiptOut(bid_id=bid.id, status=bid.status, receipt=bid.receipt)

    @delete("/bids", guards=[requires(Role.BIDDER)], status_code=200)
    async def withdraw(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, int]:
        count = await service.withdraw_bid(
            db_session, lot_id, request.user, context(runtime(request))
        )
        return {"withdrawn": count}

    @get("/bids/mine", guards=[requires(Role.BIDDER)])
    async def mine(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[ReceiptOut]:
        rows = await db_session.scalars(
            select(Bid)
            .where(Bid.lot_id == lot_id, Bid.bidder_org_id == request.user.org_id)
            .order_by(Bid.version)
        )
        return [ReceiptOut(bid_id=b.id, status=b.status, receipt=b.receipt) for b in rows]

    @get("/custody/mine", guards=[requires(Role.CUSTODIAN)])
    async def my_share(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """The custodian's sealed share: only its own private key opens it."""
        lot = await get_lot(db_session, lot_id, request.user)
        if not lot.custody or request.user.user_id not in lot.custody.get("custodians", []):
            raise Forbidden("您不是本标段的开标密钥保管人 / you hold no key share for this lot")
        key = await db_session.scalar(
            select(PartyKey)
            .where(PartyKey.user_id == request.user.user_id)
            .order_by(PartyKey.id.desc())
        )
        if key is None:
            raise NotFound("no registered key")
        try:
            bundle = CustodyBundle.from_dict(lot.custody["bundle"])
            return bundle.share_for(b64u_decode(key.enc_pub, length=32)).to_dict()
        except CryptoError as exc:
            raise NotFound(f"no share for your current key: {exc}") from exc

    @post("/custody/release", guards=[requires(Role.CUSTODIAN)], status_code=200)
    async def release(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: ShareIn,
    ) -> OpeningOut:
        state = await service.release_share(
            db_session, lot_id, request.user, data.share, context(runtime(request))
        )
        return OpeningOut(lot_id=lot_id, state=state)

    @post("/opening", guards=[requires(Role.STAFF)], status_code=200)
    async def open_now(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> OpeningOut:
        """Staff may trigger the opening by hand; it is still refused before the deadline."""
        lot = await get_lot(db_session, lot_id, request.user)
        if not manages(request.user, lot.project):
            raise Forbidden("无权操作该标段 / you may not act on this lot")
        state = await run_opening(runtime(request), lot_id)
        return OpeningOut(lot_id=lot_id, state=state)

    @get("/opening")
    async def record(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """The signed opening record (唱标): published once every bid is decrypted or failed."""
        await get_lot(db_session, lot_id, request.user)
        opening = await db_session.get(Opening, lot_id)
        if opening is None or opening.record is None:
            raise NotFound("开标记录尚未公布 / the opening record is not published yet")
        return opening.record


ROUTES = [BidApi]
