"""Expert pool and committee draw JSON API (staff of the center; the draw's commitment public)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.experts import pool_csv, service
from evaluation.experts.draw import Demand
from evaluation.experts.schemas import DeclineIn, DrawIn, ImportOut, SeatedOut
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import ValidationFailed
from trading.kernel.web import requires

MAX_CSV_BYTES = 8 << 20


class ExpertPoolApi(Controller):
    path = "/api/v1/centers/{code:str}/experts"
    tags = ["experts"]  # noqa: RUF012
    guards = [requires(Role.STAFF)]  # noqa: RUF012

    @post("/import", status_code=200, request_max_body_size=MAX_CSV_BYTES)
    async def import_csv(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, code: str, clock: Clock
    ) -> ImportOut:
        """Body: the pool as CSV (UTF-8; columns as the export's). All rows or none: a 422
        lists every error as {line, field, why}."""
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed("body: CSV 应为 UTF-8 编码 / the CSV must be UTF-8") from exc
        done = await pool_csv.import_pool(db_session, request.user, code, text, now=clock.now())
        return ImportOut(**done)

    @get("/export.csv", media_type="text/csv; charset=utf-8")
    async def export_csv(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, code: str
    ) -> Response[str]:
        text = await pool_csv.export_pool(db_session, request.user, code)
        return Response(
            text, headers={"content-disposition": f'attachment; filename="experts-{code}.csv"'}
        )


class CommitteeApi(Controller):
    path = "/api/v1/lots/{lot_id:int}/committee"
    tags = ["experts"]  # noqa: RUF012

    @post("/", status_code=201, guards=[requires(Role.STAFF)])
    async def draw(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        lot_id: int,
        data: DrawIn,
        clock: Clock,
        settings: Settings,
    ) -> dict[str, Any]:
        """Draw the committee: the seed's hash is committed to the audit log first."""
        demand = [Demand(d.specialty, d.count) for d in data.demand]
        await service.draw_committee(
            db_session, request.user, settings, lot_id, demand, data.representatives,
            now=clock.now(),
        )  # fmt: skip
        return await service.published_draw(db_session, request.user, lot_id)

    @post("/declines", status_code=200, guards=[requires(Role.STAFF)])
    async def decline(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int,
        data: DeclineIn, clock: Clock,
    ) -> SeatedOut:  # fmt: skip
        """An expert declines, with the reason; the next ticket of that specialty is seated."""
        seated = await service.decline(
            db_session, request.user, lot_id, data.code, data.reason, now=clock.now()
        )
        return SeatedOut(seated=seated)

    @get("/")
    async def published(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> dict[str, Any]:
        """Before the award: the commitment (seed hash, pool digest, sizes). After it: the
        committee by name and the draw document, which `bidhall evaluate draw` reruns."""
        return await service.published_draw(db_session, request.user, lot_id)


ROUTES = [ExpertPoolApi, CommitteeApi]
