"""Trading centers as tenants: the tree of division codes, per-center configuration (who may
see what in which center is trading.centers.scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.auth.models import User
from trading.centers.models import Center
from trading.centers.scope import EDGES, subtree
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.codes import CodeError, is_within, parse_division_code
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, NotFound, ValidationFailed
from trading.parties.models import PartyKey
from trading.reports.models import LotTally
from trading.rules import RULESETS, RuleConfigError

# `bidhall center set-rule CODE RULE default` removes a center's override.
CLEAR = "default"


@dataclass
class CenterNode:
    """A center with its children and lot counts, alone and over its subtree."""

    center: Center
    children: list[CenterNode] = field(default_factory=list)
    # {state: count} of published (non-draft) lots of this center alone.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def published(self) -> int:
        return sum(self.counts.values())

    @property
    def awarded(self) -> int:
        return self.counts.get(LotState.AWARDED, 0)

    def walk(self) -> list[CenterNode]:
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes

    @property
    def published_subtree(self) -> int:
        return sum(n.published for n in self.walk())

    @property
    def awarded_subtree(self) -> int:
        return sum(n.awarded for n in self.walk())


def division(code: str, what: str = "code") -> str:
    """A validated division code, or a 422 naming the field."""
    try:
        return parse_division_code(code).code
    except CodeError as exc:
        raise ValidationFailed(f"{what}: {exc}") from exc


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"timezone: 未知的时区 {name!r} / unknown time zone") from exc


# ---- the tree ----------------------------------------------------------------------------------


async def all_centers(session: AsyncSession) -> list[Center]:
    return list(await session.scalars(select(Center).order_by(Center.code)))


async def tree(session: AsyncSession, *, counts: bool = True) -> list[CenterNode]:
    """Root centers with their descendants, and with `counts` their lots by state, read from
    the statistics tally (a few rows per center, never the lots themselves)."""
    centers = await all_centers(session)
    nodes = {c.id: CenterNode(c) for c in centers}
    if counts:
        rows = await session.execute(
            select(LotTally.center_id, LotTally.state, cast(func.sum(LotTally.lots), BigInteger))
            .where(LotTally.sandbox.is_(False))
            .group_by(LotTally.center_id, LotTally.state)
        )
        for center_id, state, count in rows.all():
            if center_id in nodes and count:
                nodes[center_id].counts[str(state)] = int(count)
    roots: list[CenterNode] = []
    for node in nodes.values():
        parent = nodes.get(node.center.parent_id) if node.center.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def find(roots: list[CenterNode], code: str) -> CenterNode | None:
    for root in roots:
        for node in root.walk():
            if node.center.code == code:
                return node
    return None


def ancestors(centers: list[Center], center: Center) -> list[Center]:
    """From the root down to the center's parent (for breadcrumbs)."""
    by_id = {c.id: c for c in centers}
    chain: list[Center] = []
    parent = by_id.get(center.parent_id) if center.parent_id else None
    while parent is not None:
        chain.insert(0, parent)
        parent = by_id.get(parent.parent_id) if parent.parent_id else None
    return chain


# ---- adding centers ----------------------------------------------------------------------------


async def add_center(
    session: AsyncSession,
    actor: Actor,
    *,
    code: str,
    name: str,
    now: datetime,
    name_en: str = "",
    parent_code: str | None = None,
    timezone: str = "Asia/Shanghai",
) -> Center:
    """Register a center; its parent is the nearest existing center above it in the code tree."""
    parsed = parse_division_code(division(code))
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("name: 名称须为1至200个字符 / name must be 1 to 200 characters")
    zone(timezone)
    centers = await all_centers(session)
    if any(c.code == parsed.code for c in centers):
        raise Conflict(f"交易中心 {parsed.code} 已存在 / center {parsed.code} already exists")
    above = [c for c in centers if c.code != parsed.code and is_within(parsed.code, c.code)]
    nearest = max(above, key=lambda c: _depth(c.code), default=None)
    if parent_code is not None:
        parent_code = division(parent_code, "parent")
        parent = next((c for c in centers if c.code == parent_code), None)
        if parent is None:
            raise ValidationFailed(
                f"parent: 上级交易中心 {parent_code} 不存在 / parent center {parent_code} not found"
            )
        if parent not in above:
            raise ValidationFailed(
                f"parent: {parent_code} 不是 {parsed.code} 的上级行政区划 / "
                f"{parent_code} is not above {parsed.code} in the division tree"
            )
        if parent is not nearest:
            assert nearest is not None
            raise ValidationFailed(
                f"parent: {parsed.code} 的上级应为最近的上级交易中心 {nearest.code} / "
                f"the parent must be the nearest center above, {nearest.code}"
            )
    # A center registered between existing ones adopts the centers below it, so the tree
    # always follows the division codes.
    parent_id = nearest.id if nearest else None
    adopted = [c for c in centers if is_within(c.code, parsed.code) and c.parent_id == parent_id]
    async with writing(session):
        center = Center(
            code=parsed.code,
            name=name,
            name_en=name_en.strip(),
            level=parsed.level,
            parent_id=nearest.id if nearest else None,
            timezone=timezone,
            rule_overrides={},
        )
        session.add(center)
        await session.flush()
        for child in adopted:
            child.parent_id = center.id
        await audit.append(
            session,
            actor,
            "center.add",
            "center",
            center.id,
            at=now,
            center_id=center.id,
            detail={
                "code": center.code,
                "name": center.name,
                "parent": nearest.code if nearest else None,
                "timezone": timezone,
                "adopted": [c.code for c in adopted],
            },
        )
    return center


def _depth(code: str) -> int:
    return {"province": 1, "city": 2, "county": 3}[parse_division_code(code).level]


# ---- rule overrides ----------------------------------------------------------------------------


def rulesets_with(rule_id: str) -> list[str]:
    return sorted(key for key, rs in RULESETS.items() if rule_id in rs)


def _number(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValidationFailed(f"value: “{raw}”不是数字 / {raw!r} is not a number") from None
    if not value.is_finite():
        raise ValidationFailed(f"value: “{raw}”不是有限数 / {raw!r} is not a finite number")
    return value


async def set_rule(
    session: AsyncSession, actor: Actor, code: str, rule_id: str, raw: str, *, now: datetime
) -> dict[str, object]:
    """Override (or with `default`, restore) one rule for a center, checked for every ruleset
    that has it, and recorded in the audit log with its before and after values."""
    center = await center_by_code(session, division(code))
    keys = rulesets_with(rule_id)
    if not keys:
        raise ValidationFailed(f"rule: 没有规则 {rule_id} / no ruleset has a rule {rule_id!r}")
    overrides = dict(center.rule_overrides or {})
    before = overrides.get(rule_id)
    if raw.strip().lower() == CLEAR:
        overrides.pop(rule_id, None)
        after = None
    else:
        value = _number(raw)
        for key in keys:
            ruleset = RULESETS[key]
            try:
                ruleset.with_overrides({rule_id: value})
            except RuleConfigError as exc:
                raise ValidationFailed(f"value: {exc}") from exc
        # Normalised text keeps a Decimal exact in JSON ("25", "0.5").
        after = format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
        overrides[rule_id] = after
    statutory = sorted({str(RULESETS[k].rule(rule_id).value) for k in keys})
    async with writing(session):
        center = await center_by_code(session, center.code)
        center.rule_overrides = overrides
        await audit.append(
            session,
            actor,
            "center.rule_override",
            "center",
            center.id,
            at=now,
            center_id=center.id,
            detail={
                "rule": rule_id,
                "before": before,
                "after": after,
                "statutory": statutory,
                "rulesets": keys,
            },
        )
    return {"center": center.code, "rule": rule_id, "before": before, "after": after}


async def center_by_code(session: AsyncSession, code: str) -> Center:
    center = await session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise NotFound(f"没有代码为 {code} 的交易中心 / no trading center with code {code}")
    return center


async def subtree_ids(session: AsyncSession, center_id: int) -> set[int]:
    """The center and every center below it (a filter of public listings; who may see what
    is trading.centers.scope's)."""
    return set(subtree([(cid, parent) for cid, parent in await session.execute(EDGES)], center_id))


async def center_custodians(session: AsyncSession, center_id: int) -> list[tuple[User, PartyKey]]:
    rows = await session.execute(
        select(User, PartyKey)
        .join(PartyKey, PartyKey.user_id == User.id)
        .where(User.center_id == center_id, User.active.is_(True), PartyKey.revoked_at.is_(None))
        .order_by(User.id)
    )
    return [(u, k) for u, k in rows.all() if Role.CUSTODIAN in u.roles]
