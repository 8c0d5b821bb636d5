"""Audit log API: bodies for supervisors within their scope (trading.centers.scope); for
everyone, the transparency log (signed tree heads, leaf hashes, inclusion and consistency
proofs) and the bodies of entries about lots already opened. Leaf hashes are commitments:
they reveal nothing of the bodies."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import heads
from trading.audit import service as audit
from trading.audit.models import AuditEntry
from trading.centers.scope import CenterScope, Material, may_see, require_platform
from trading.kernel.actor import Actor
from trading.kernel.errors import NotFound
from trading.parties.models import Organization
from trading.parties.secrecy import commitment_of
from trading.projects import service as projects

NEXT_START = "X-Next-Start"

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

    @get("/entries")
    async def entries(
        self,
        db_session: AsyncSession,
        center_scope: CenterScope,
        start: Annotated[int, Parameter(ge=1)] = 1,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """The whole log as canonical bodies, for the top-level supervisor only (who supervises
        every center); a center's supervisor reads its subtree at /api/v1/centers/{code}/audit."""
        require_platform(center_scope)
        rows = await audit.load_range(db_session, start, limit)
        return [{"seq": e.seq, "body": e.body, "entry_hash": e.entry_hash} for e in rows]

    @get(
        "/entries/public",
        description=(
            "Bodies of the entries about lots past their opening, in log order from seq"
            " `start` (keyset paging by seq, anonymous). Follow the X-Next-Start header until"
            " it is absent: a page examines a bounded run of seqs."
        ),
        response_headers=[
            ResponseHeader(
                name=NEXT_START,
                documentation_only=True,
                description=(
                    "The seq to continue from (`start`); absent past the end of the log. A page"
                    f" examines at most {audit.PUBLIC_SCAN} seqs, so it may hold fewer than"
                    " `limit` entries, or none, before the listing ends."
                ),
            )
        ],
    )
    async def public_entries(
        self,
        db_session: AsyncSession,
        start: Annotated[int, Parameter(ge=1)] = 1,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> Response[list[dict[str, Any]]]:
        """Public bodies from ``start``, and where to go on (X-Next-Start)."""
        page = await audit.public_entries(db_session, start, limit)
        headers = {} if page.next_start is None else {NEXT_START: str(page.next_start)}
        return Response([_entry_out(e) for e in page.entries], headers=headers)

    @get("/entries/{seq:int}")
    async def entry(
        self,
        request: Request[Actor, Any, Any],
        db_session: AsyncSession,
        center_scope: CenterScope,
        seq: int,
    ) -> dict[str, Any]:
        """One body: for supervisors over the entry's center, for entries of opened lots, and
        for a bidder's own submission (so it can check its receipt's audit_index)."""
        found = await db_session.get(AuditEntry, seq)
        if found is None or not await _may_read(db_session, request.user, center_scope, found):
            raise NotFound(f"审计条目 {seq} 不存在或不公开 / audit entry {seq} not found")
        return _entry_out(found)

    @get(
        "/leaves",
        description=(
            "Leaf hashes (hex, RFC 6962: SHA-256(0x00 || body)) of entries `start` .."
            " `start + limit - 1`, hashed from the bodies as they stand (keyset paging by"
            " seq, anonymous); `tree_size` is the log's size now. A verifier that kept a"
            " signed head of size m fetches `start = m + 1` onwards and the consistency"
            " proof from m (`bidhall audit verify --heads FILE`)."
        ),
    )
    async def leaves(
        self,
        db_session: AsyncSession,
        start: Annotated[int, Parameter(ge=1, description="first seq (keyset)")] = 1,
        limit: Annotated[int, Parameter(ge=1, le=10000)] = 1000,
    ) -> dict[str, Any]:
        """Leaf hashes from ``start`` (the description above is the OpenAPI text)."""
        hashes = await audit.leaf_hashes(db_session, start, limit)
        return {
            "start": start,
            "tree_size": await audit.log_size(db_session),
            "leaves": [h.hex() for h in hashes],
        }

    @get("/heads")
    async def heads(
        self,
        db_session: AsyncSession,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
        before: Annotated[int | None, Parameter(ge=1)] = None,
    ) -> list[dict[str, Any]]:
        """Signed tree heads, newest first (page back with ``before`` = a tree size)."""
        return [heads.head_json(h) for h in await heads.list_heads(db_session, limit, before)]

    @get("/heads/latest")
    async def latest_head(self, db_session: AsyncSession) -> dict[str, Any]:
        head = await heads.latest_head(db_session)
        if head is None:
            raise NotFound("尚未发布签名树头 / no signed tree head published yet")
        return heads.head_json(head)

    @get("/proof/inclusion")
    async def inclusion_proof(
        self,
        db_session: AsyncSession,
        seq: Annotated[int, Parameter(ge=1)],
        tree_size: Annotated[int | None, Parameter(ge=1)] = None,
    ) -> dict[str, Any]:
        """Audit path (hex) of entry ``seq`` in the tree of ``tree_size`` (default: latest head)."""
        return await heads.inclusion(db_session, seq, tree_size)

    @get("/proof/consistency")
    async def consistency_proof(
        self,
        db_session: AsyncSession,
        first: Annotated[int, Parameter(ge=0)],
        second: Annotated[int | None, Parameter(ge=0)] = None,
    ) -> dict[str, Any]:
        """Proof (hex) that the tree of size ``first`` is a prefix of the one of ``second``."""
        return await heads.consistency(db_session, first, second)

    @get("/lots/{lot_id:int}")
    async def for_lot(
        self, request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
    ) -> list[dict[str, Any]]:
        """A lot's public history (the same events its portal page shows)."""
        await projects.get_lot(db_session, lot_id, request.user)  # visibility check
        rows = await audit.for_target(db_session, "lot", lot_id)
        return [
            {"seq": e.seq, "at": e.at.isoformat(), "action": e.action}
            for e in rows
            if e.action in PUBLIC_LOT_ACTIONS
        ]


def _entry_out(entry: AuditEntry) -> dict[str, Any]:
    return {"seq": entry.seq, "body": entry.body, "entry_hash": entry.entry_hash}


async def _may_read(
    session: AsyncSession, actor: Actor, scope: CenterScope, entry: AuditEntry
) -> bool:
    # Before the opening a lot's entries say who bids: supervision material of its center.
    if may_see(scope, entry.center_id, Material.SUPERVISION):
        return True
    if await audit.is_public(session, entry):
        return True
    if entry.action == "bid.submit" and actor.org_id is not None and entry.target_type == "lot":
        # The entry names its bidder by a salted commitment: the bidder's own matches it.
        org = await session.get(Organization, actor.org_id)
        detail = json.loads(entry.body).get("detail", {})
        return org is not None and detail.get("bidder") == await commitment_of(
            session, int(entry.target_id), org.uscc
        )
    return False


ROUTES = [AuditApi]
