"""The opening JSON API: bidders release their file key, custodians their share; the record."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.opening import desk
from bidding.opening.flows import release_file_key, release_share, start
from bidding.opening.models import Opening
from bidding.opening.schemas import FileKeyIn, OpeningOut, ShareIn
from bidding.opening.shares import already_released, released_at
from crypto.custody import CustodyBundle
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.errors import Forbidden, NotFound
from trading.kernel.runtime import Runtime
from trading.kernel.web import requires
from trading.parties.models import PartyKey
from trading.projects.desk import desk_lot
from trading.projects.service import get_lot, manages


class OpeningApi(Controller):
    path = "/api/v1/lots/{lot_id:int}"
    tags = ["opening"]  # noqa: RUF012

    @post("/bids/mine/file-key", guards=[requires(Role.BIDDER)], status_code=202)
    async def release_file_key(
        self, request: Request[Actor, Any, Any], lot_id: int, data: FileKeyIn, rt: Runtime
    ) -> OpeningOut:
        """At the opening, a bidder releases its bid's file key (decrypted on its own machine).

        Its own bid is decided here (a wrong key is a 422); the record follows in the background
        once every bid is decided (202; progress on the hall's event stream)."""
        state = await release_file_key(rt, lot_id, request.user, data.file_key)
        return OpeningOut(lot_id=lot_id, state=state)

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
            .where(PartyKey.user_id == request.user.user_id, PartyKey.revoked_at.is_(None))
            .order_by(PartyKey.id.desc())
        )
        if key is None:
            raise NotFound("您尚未登记密钥 / you have no registered key")
        try:
            bundle = CustodyBundle.from_dict(lot.custody["bundle"])
            return bundle.share_for(b64u_decode(key.enc_pub, length=32)).to_dict()
        except CryptoError as exc:
            raise NotFound(
                "本标段的分片密封给您以前登记的密钥，当前密钥无法打开；开标只需门限数量的开标人释放分片"
                " / this lot's share is sealed to a key you registered before, not your current"
                " one; the opening needs only the threshold of custodians"
            ) from exc

    @post("/custody/release", guards=[requires(Role.CUSTODIAN)], status_code=202)
    async def release(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: ShareIn,
        rt: Runtime,
    ) -> OpeningOut:
        """A custodian releases its key share (202): with k shares in, the lot's background job
        recovers the key and decrypts; progress on the hall's event stream. 422 for a body that
        is not this custodian's share of this lot; 409 before the opening or when released
        already."""
        when = await released_at(db_session, lot_id, request.user.user_id)
        if when is not None:
            raise already_released(when)
        state = await release_share(rt, lot_id, request.user, data.share)
        return OpeningOut(lot_id=lot_id, state=state)

    @post("/opening", guards=[requires(Role.STAFF)], status_code=202)
    async def open_now(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
    ) -> OpeningOut:
        """Staff may trigger the opening by hand; it is still refused before the deadline.
        The snapshot is taken here; decryption goes on in the background (202)."""
        lot = await get_lot(db_session, lot_id, request.user)
        if not manages(request.user, lot.project):
            raise Forbidden("无权操作该标段 / you may not act on this lot")
        state = await start(rt, lot_id, request.user)
        return OpeningOut(lot_id=lot_id, state=state)

    @get("/opening/desk", guards=[requires(Role.STAFF, Role.SUPERVISOR)])
    async def desk_status(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """The opening as staff watch it (the lot desk's opening tab polls this): each
        custodian's readiness and release, each bidder's envelope and decryption once the
        opening has started (never a price), reminders. Staff of the lot's center and
        supervisors of it or above."""
        lot, _ = await desk_lot(db_session, lot_id, request.user)
        return (await desk.opening_desk(db_session, lot)).as_json()

    @post("/opening/reminders", guards=[requires(Role.STAFF)], status_code=201)
    async def remind(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, rt: Runtime
    ) -> dict[str, Any]:
        """Remind the custodians who have not released their share and, during the opening,
        the bidders whose file key is missing: at most once per person every 5 minutes (429
        when everyone waiting was reminded more recently; 409 when nobody waits)."""
        sent = await desk.remind(db_session, lot_id, request.user, now=rt.clock.now())
        return {
            "custodians": sent.custodians,
            "bidders": sent.bidders,
            "skipped": [{"name": n, "again_at": at.isoformat()} for n, at in sent.skipped],
        }

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


ROUTES = [OpeningApi]
