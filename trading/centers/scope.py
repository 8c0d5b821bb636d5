"""Who may see what, in which center: the platform's one authorization scope.

Published material (announced lots, their documents, opening records, results, statistics,
the transparency log) is everybody's. What is not published belongs to a center, and the
centers form a tree (province → city → county):

- staff see their own center's unpublished projects and lots: the center they act in;
- supervisors (监督/电子监察) see their center's whole subtree: its unpublished work, and the
  supervision material nobody else reads, the audit log's bodies and the bid metadata (who
  bid, when, from which address, how large), which before the opening say who is bidding;
- the top-level supervisor, whose subtree is every center (the platform's administrator),
  also reads the entries that belong to no center (accounts, keys, the public's refused
  requests), and so the whole log;
- bidders, custodians, evaluators, tenderers, agencies and the public see published material
  only. What they see of their own (their bids, their key shares, their projects) is decided
  by ownership where it is read, not by center.

Handlers declare ``center_scope: CenterScope`` (provided by bidhall.deps); services called
from many places compute it with ``visible_centers``. Nothing else decides who sees what by
center. Who may act on a lot (its center's staff, its tenderer or agency) is a different
question, answered by trading.projects.service.manages: a supervisor sees, never acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.centers.models import Center
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.errors import Forbidden, Unauthorized


class Material(StrEnum):
    """What, beyond the published, a center holds."""

    UNPUBLISHED = "unpublished"  # draft projects and lots
    SUPERVISION = "supervision"  # audit log bodies, bid metadata


@dataclass(frozen=True)
class CenterScope:
    """The centers whose unpublished work and supervision material an actor may see."""

    signed_in: bool = False
    unpublished: frozenset[int] = frozenset()
    supervision: frozenset[int] = frozenset()
    # Every center is supervised: entries of no center are visible too, so the whole log.
    platform: bool = False

    def centers(self, material: Material) -> frozenset[int]:
        return self.unpublished if material is Material.UNPUBLISHED else self.supervision


PUBLIC_SCOPE = CenterScope()
EDGES = select(Center.id, Center.parent_id)


def subtree(edges: Iterable[tuple[int, int | None]], root: int) -> frozenset[int]:
    """`root` and every center below it, from (id, parent_id) pairs."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in edges:
        children.setdefault(parent, []).append(cid)
    found: set[int] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid not in found:
            found.add(cid)
            stack.extend(children.get(cid, []))
    return frozenset(found)


async def visible_centers(session: AsyncSession, actor: Actor) -> CenterScope:
    """The actor's scope; only a supervisor's needs the tree (one small query)."""
    if actor.user_id is None:
        return PUBLIC_SCOPE
    if actor.center_id is None:
        return CenterScope(signed_in=True)
    unpublished: frozenset[int] = frozenset()
    supervision: frozenset[int] = frozenset()
    platform = False
    if actor.has(Role.STAFF):
        unpublished = frozenset({actor.center_id})
    if actor.has(Role.SUPERVISOR):
        edges = [(cid, parent) for cid, parent in await session.execute(EDGES)]
        supervision = subtree(edges, actor.center_id)
        unpublished |= supervision
        platform = supervision == {cid for cid, _ in edges}
    return CenterScope(True, unpublished, supervision, platform)


def may_see(scope: CenterScope, center_id: int | None, material: Material) -> bool:
    """Whether material of `center_id` (None: of no center, platform-wide) is in scope."""
    if center_id is None:
        return scope.platform
    return center_id in scope.centers(material)


def require(scope: CenterScope, center: Center, material: Material) -> None:
    """Refuse (401 unsigned, 403 out of scope) unless the center's material is in scope."""
    if not scope.signed_in:
        raise Unauthorized("请先登录 / sign in first")
    if material is Material.SUPERVISION and not scope.supervision:
        raise Forbidden("需要监督角色 / requires the supervisor role")
    if not may_see(scope, center.id, material):
        raise Forbidden(
            f"交易中心 {center.code} 不在您的权限范围内 / center {center.code} is out of your scope"
        )


def require_platform(scope: CenterScope) -> None:
    """Refuse unless the actor supervises every center (the whole log, say)."""
    if not scope.signed_in:
        raise Unauthorized("请先登录 / sign in first")
    if not scope.platform:
        raise Forbidden(
            "全量审计日志仅限最高一级监督 / the whole log is for the top-level supervisor;"
            " use /api/v1/centers/{code}/audit"
        )
