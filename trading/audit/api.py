"""Audit log API: what the public may see of the log, and the full log for supervisors."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from trading import service
from trading.actor import Actor
from trading.audit import service as audit
from trading.enums import Role
from trading.web import requires

# Lot events anyone may see; bid-level events would reveal who bids before the opening.
PUBLIC_LOT_ACTIONS = frozenset(
    {
        "lot.publish",
        "lot.cancel",
        "opening.start",
        "opening.failed",
        "opening.key_recovered",
        "opening.record_published",
        "evaluation.ranked",
        "evaluation.failed",
        "publicity.start",
        "lot.award",
    }
)


class AuditApi(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012

    @get("/entries", guards=[requires(Role.SUPERVISOR)])
    async def entries(
        self,
        db_session: AsyncSession,
        start: Annotated[int, Parameter(ge=1)] = 1,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """The log as its canonical bodies, for supervisors: what anyone hashes to check it."""
        rows = await audit.load_range(db_session, start, limit)
        return [{"seq": e.seq, "body": e.body, "entry_hash": e.entry_hash} for e in rows]

    @get("/lots/{lot_id:int}")
    async def for_lot(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[dict[str, Any]]:
        """A lot's public history (the same events its portal page shows)."""
        await service.get_lot(db_session, lot_id, request.user)  # visibility check
        rows = await audit.for_target(db_session, "lot", lot_id)
        return [
            {"seq": e.seq, "at": e.at.isoformat(), "action": e.action}
            for e in rows
            if e.action in PUBLIC_LOT_ACTIONS
        ]


ROUTES = [AuditApi]
