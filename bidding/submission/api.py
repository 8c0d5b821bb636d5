"""Submission JSON API: the streamed sealed upload, withdrawal, my bids and receipts."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.exceptions import ClientException
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.submission import service as submission
from bidding.submission.admission import lot_for_bidding
from bidding.submission.models import Bid, BidStatus
from bidding.submission.schemas import BidMetaOut, ReceiptOut
from trading.centers.api import node_for
from trading.centers.models import Center
from trading.centers.scope import CenterScope, Material, may_see, require
from trading.centers.stats import Scope
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.errors import Conflict
from trading.kernel.runtime import Context, Runtime
from trading.kernel.web import requires
from trading.parties.models import Organization
from trading.projects.models import Lot, Project

SIGNATURE_HEADER = "x-bid-signature"


class BidApi(Controller):
    path = "/api/v1/lots/{lot_id:int}"
    tags = ["bidding"]  # noqa: RUF012

    @post(
        "/bids",
        guards=[requires(Role.BIDDER)],
        status_code=201,
        request_max_body_size=submission.MAX_BID_BYTES,
    )
    async def submit(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
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
        # Cheap checks first, so a late or foreign upload is refused before its body is read;
        # in a session of their own, so no database connection is held while the body streams
        # (during a rush the lot comes from the burst cache and the session never connects).
        async with rt.sessionmaker() as quick:
            _lot, open_ = await lot_for_bidding(quick, lot_id, request.user, rt.clock.now())
        if not open_:
            raise Conflict("投标截止时间已过，不再接受投标 / the bid deadline has passed")
        staged = await rt.blobs.stage(request.stream(), max_size=rt.settings.max_bid_bytes)
        # The clock is read once the body is in: that is when the bid was received.
        bid = await submission.submit_bid(
            db_session, lot_id, request.user, staged, signature, rt.context()
        )
        return ReceiptOut(bid_id=bid.id, status=bid.status, receipt=bid.receipt)

    @delete("/bids", guards=[requires(Role.BIDDER)], status_code=200)
    async def withdraw(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, ctx: Context
    ) -> dict[str, int]:
        count = await submission.withdraw_bid(db_session, lot_id, request.user, ctx)
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


class SupervisionApi(Controller):
    """Bid metadata for supervisors over a center (its own lots, or its subtree)."""

    path = "/api/v1/centers"
    tags = ["centers"]  # noqa: RUF012

    @get("/{code:str}/bids")
    async def bids(
        self,
        db_session: AsyncSession,
        center_scope: CenterScope,
        code: str,
        within: Annotated[Scope, Parameter(query="scope")] = "self",
        lot_id: Annotated[int | None, Parameter(ge=1)] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 500,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> list[BidMetaOut]:
        """Bid metadata of the center's lots, for supervisors over it (prices once decrypted)."""
        node = await node_for(db_session, code)
        # Before the opening these rows say who bids, from where: supervision material.
        require(center_scope, node.center, Material.SUPERVISION)
        ids = {
            n.center.id
            for n in (node.walk() if within == "subtree" else [node])
            if may_see(center_scope, n.center.id, Material.SUPERVISION)
        }
        stmt = (
            select(Bid, Organization.name, Center.code)
            .join(Lot, Bid.lot_id == Lot.id)
            .join(Project, Lot.project_id == Project.id)
            .join(Center, Project.center_id == Center.id)
            .join(Organization, Bid.bidder_org_id == Organization.id)
            .where(Project.center_id.in_(sorted(ids)))
            .order_by(Bid.id)
            .limit(limit)
            .offset(offset)
        )
        if lot_id is not None:
            stmt = stmt.where(Bid.lot_id == lot_id)
        return [
            BidMetaOut(
                bid_id=bid.id,
                lot_id=bid.lot_id,
                center=center_code,
                bidder=org_name,
                version=bid.version,
                status=bid.status,
                ciphertext_sha256=bid.ciphertext_sha256,
                size=bid.size,
                client_ip=bid.client_ip,
                received_at=bid.received_at,
                price=str(bid.price)
                if bid.status == BidStatus.DECRYPTED and bid.price is not None
                else None,
            )
            for bid, org_name, center_code in (await db_session.execute(stmt)).all()
        ]


ROUTES = [BidApi, SupervisionApi]
