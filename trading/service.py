"""Projects and lots: registration, publishing against the rules, cancellation, visibility."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from crypto.custody import create_custody
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.keys import PublicIdentity
from crypto.signing import certify
from trading import lifecycle
from trading.actor import Actor
from trading.audit import service as audit
from trading.auth.models import User
from trading.codes import CodeError, parse_division_code, validate_uscc
from trading.config import Settings
from trading.db import writing
from trading.enums import LotState, Role
from trading.errors import Forbidden, NotFound, RuleViolation, ValidationFailed
from trading.models import Announcement, Center, Lot, Organization, PartyKey, Project
from trading.rules.engine import LotPlan, check_publish
from trading.rules.rulesets import RuleConfigError, Ruleset, get_ruleset
from trading.schemas import ProjectIn

DEFAULT_CUSTODY_THRESHOLD = 2


# ---- centers -------------------------------------------------------------------------------


async def center_by_code(session: AsyncSession, code: str) -> Center:
    center = await session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise NotFound(f"没有代码为 {code} 的交易中心 / no trading center with code {code}")
    return center


async def subtree_ids(session: AsyncSession, center_id: int) -> set[int]:
    """The center and every center below it (the tree is shallow: province → city → county)."""
    rows = (await session.execute(select(Center.id, Center.parent_id))).all()
    children: dict[int | None, list[int]] = {}
    for cid, parent in rows:
        children.setdefault(parent, []).append(cid)
    found, stack = set(), [center_id]
    while stack:
        cid = stack.pop()
        if cid not in found:
            found.add(cid)
            stack.extend(children.get(cid, []))
    return found


def effective_ruleset(project: Project, center: Center, settings: Settings) -> Ruleset:
    overrides = {**center.rule_overrides, **settings.rule_overrides.get(center.code, {})}
    try:
        base = get_ruleset(project.category, project.method)
        # A center's override applies to the rulesets that have the rule; values are stored
        # as strings so a Decimal survives JSON.
        mine = {k: _rule_number(v) for k, v in overrides.items() if k in base}
        return base.with_overrides(mine) if mine else base
    except RuleConfigError as exc:
        raise ValidationFailed(str(exc)) from exc


def _rule_number(value: object) -> object:
    if isinstance(value, str | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value  # with_overrides refuses it with the rule's name
    return value


# ---- visibility and permissions -------------------------------------------------------------


def manages(actor: Actor, project: Project) -> bool:
    """Center staff manage their own center's projects; the tenderer/agency manage theirs."""
    if actor.has(Role.STAFF) and actor.center_id == project.center_id:
        return True
    return actor.has(Role.TENDERER, Role.AGENCY) and actor.org_id in {
        project.tenderer_org_id,
        project.agency_org_id,
    }


async def can_see_unpublished(session: AsyncSession, actor: Actor, project: Project) -> bool:
    if manages(actor, project):
        return True
    if actor.has(Role.SUPERVISOR) and actor.center_id is not None:
        return project.center_id in await subtree_ids(session, actor.center_id)
    return False


async def get_project(session: AsyncSession, project_id: int, actor: Actor) -> Project:
    project = await session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(selectinload(Project.lots), selectinload(Project.center))
    )
    # An unpublished project is as good as absent to those who may not see it.
    if project is None or (
        all(lot.state == LotState.DRAFT for lot in project.lots)
        and not await can_see_unpublished(session, actor, project)
    ):
        raise NotFound(f"项目 {project_id} 不存在 / project {project_id} not found")
    return project


async def visible_lots(session: AsyncSession, actor: Actor, project: Project) -> list[Lot]:
    """A project's lots as `actor` may see them: drafts only for those who see unpublished work."""
    if await can_see_unpublished(session, actor, project):
        return list(project.lots)
    return [lot for lot in project.lots if lot.state != LotState.DRAFT]


async def get_lot(session: AsyncSession, lot_id: int, actor: Actor) -> Lot:
    lot = await session.scalar(
        select(Lot)
        .where(Lot.id == lot_id)
        .options(selectinload(Lot.project).selectinload(Project.center))
    )
    if lot is None or (
        lot.state == LotState.DRAFT and not await can_see_unpublished(session, actor, lot.project)
    ):
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    return lot


async def list_lots(
    session: AsyncSession,
    *,
    center_ids: Sequence[int] | None = None,
    category: str | None = None,
    state: str | None = None,
    q: str | None = None,
    include_sandbox: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> list[Lot]:
    """Published lots for the portal (drafts are never listed publicly)."""
    stmt = (
        select(Lot)
        .join(Project)
        .where(Lot.state != LotState.DRAFT)
        .options(selectinload(Lot.project).selectinload(Project.center))
        .order_by(Lot.bid_deadline.desc(), Lot.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if center_ids is not None:
        stmt = stmt.where(Project.center_id.in_(center_ids))
    if category:
        stmt = stmt.where(Project.category == category)
    if state:
        stmt = stmt.where(Lot.state == state)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Project.title.like(like) | Lot.title.like(like) | Project.code.like(like))
    if not include_sandbox:
        stmt = stmt.where(Project.sandbox.is_(False))
    return list((await session.scalars(stmt)).all())


# ---- registration -----------------------------------------------------------------------------


async def register_project(
    session: AsyncSession, data: ProjectIn, actor: Actor, *, now: datetime, settings: Settings
) -> Project:
    if not actor.has(Role.STAFF, Role.TENDERER, Role.AGENCY):
        raise Forbidden(
            "只有交易中心工作人员或招标人/代理可以登记项目 / role may not register projects"
        )
    try:
        uscc = validate_uscc(data.tenderer_uscc)
    except CodeError as exc:
        raise ValidationFailed(f"tenderer_uscc: {exc}") from exc
    async with writing(session):
        center = await _actor_center(session, actor, data.center_code)
        region = data.region_code or center.code
        try:
            parse_division_code(region)
        except CodeError as exc:
            raise ValidationFailed(f"region_code: {exc}") from exc
        tenderer = await session.scalar(select(Organization).where(Organization.uscc == uscc))
        if tenderer is None:
            raise ValidationFailed(f"tenderer_uscc: 未登记的单位 {uscc} / unknown organization")
        if actor.has(Role.TENDERER) and not actor.has(Role.STAFF) and actor.org_id != tenderer.id:
            raise Forbidden(
                "招标人只能为本单位登记项目 / a tenderer registers only its own projects"
            )
        for i, lot_in in enumerate(data.lots):
            _check_lot_amounts(i, lot_in.budget, lot_in.control_price, lot_in.bid_security)
            for name in ("docs_issued_at", "bid_deadline"):
                if getattr(lot_in, name).tzinfo is None:
                    raise ValidationFailed(f"lots[{i}].{name}: 需要带时区的时间 / needs a timezone")
        count = await session.scalar(
            select(func.count(Project.id)).where(Project.center_id == center.id)
        )
        project = Project(
            code=f"{center.code}-{now.year}-{(count or 0) + 1:05d}",
            title=data.title,
            center_id=center.id,
            category=data.category,
            method=data.method,
            region_code=region,
            tenderer_org_id=tenderer.id,
            agency_org_id=actor.org_id if actor.has(Role.AGENCY) else None,
            sandbox=data.sandbox,
            accelerator=settings.sandbox_factor if data.sandbox else 1,
            description=data.description,
            created_by_id=actor.user_id or 0,
            created_at=now,
        )
        session.add(project)
        await session.flush()
        for number, lot_in in enumerate(data.lots, start=1):
            session.add(
                Lot(
                    project_id=project.id,
                    number=number,
                    title=lot_in.title,
                    budget=lot_in.budget,
                    control_price=lot_in.control_price,
                    price_basis=lot_in.price_basis,
                    bid_security=lot_in.bid_security,
                    docs_issued_at=lot_in.docs_issued_at,
                    docs_available_until=lot_in.docs_available_until,
                    clarification_deadline=lot_in.clarification_deadline,
                    bid_deadline=lot_in.bid_deadline,
                    evaluation_at=lot_in.evaluation_at,
                    evaluation_method=lot_in.evaluation_method,
                    evaluation_params=lot_in.evaluation_params,
                    state=LotState.DRAFT,
                    state_changed_at=now,
                )
            )
        await session.flush()
        await audit.append(
            session,
            actor,
            "project.register",
            "project",
            project.id,
            at=now,
            center_id=center.id,
            detail={"code": project.code, "lots": len(data.lots), "sandbox": data.sandbox},
        )
    return await get_project(session, project.id, actor)


def _check_lot_amounts(i: int, budget: object, control: object, security: object) -> None:
    for name, value in (("budget", budget), ("control_price", control), ("bid_security", security)):
        if value is None:
            continue
        if not value.is_finite() or value < 0:  # type: ignore[attr-defined]
            raise ValidationFailed(
                f"lots[{i}].{name}: 金额必须为非负数 / must be a non-negative amount"
            )
        if value.as_tuple().exponent < -2:  # type: ignore[attr-defined]
            raise ValidationFailed(f"lots[{i}].{name}: 金额最多两位小数 / at most 2 decimal places")


async def _actor_center(session: AsyncSession, actor: Actor, center_code: str | None) -> Center:
    if center_code is not None:
        center = await center_by_code(session, center_code)
        if actor.has(Role.STAFF) and actor.center_id != center.id:
            raise Forbidden(
                "只能在本中心登记项目 / staff register projects in their own center only"
            )
        return center
    if actor.center_id is None:
        raise ValidationFailed("center_code: 必须指定交易中心 / a trading center is required")
    center = await session.get(Center, actor.center_id)
    assert center is not None
    return center


# ---- publishing and cancelling ---------------------------------------------------------------


def lot_plan(project: Project, lot: Lot) -> LotPlan:
    return LotPlan(
        category=project.category,
        method=project.method,
        sandbox=project.sandbox,
        budget=lot.budget,
        control_price=lot.control_price,
        bid_security=lot.bid_security,
        docs_issued_at=lot.docs_issued_at,
        docs_available_until=lot.docs_available_until,
        clarification_deadline=lot.clarification_deadline,
        bid_deadline=lot.bid_deadline,
        evaluation_at=lot.evaluation_at,
    )


async def center_custodians(session: AsyncSession, center_id: int) -> list[tuple[User, PartyKey]]:
    rows = await session.execute(
        select(User, PartyKey)
        .join(PartyKey, PartyKey.user_id == User.id)
        .where(User.center_id == center_id, User.active.is_(True), PartyKey.revoked_at.is_(None))
        .order_by(User.id)
    )
    return [(u, k) for u, k in rows.all() if Role.CUSTODIAN in u.roles]


async def publish_lot(
    session: AsyncSession, lot_id: int, actor: Actor, *, now: datetime, settings: Settings
) -> Lot:
    """Check the lot against its ruleset, create its opening key under custody, announce it."""
    lot = await get_lot(session, lot_id, actor)
    project = lot.project
    if not manages(actor, project):
        raise Forbidden("无权发布该标段 / you may not publish this lot")
    center = project.center
    ruleset = effective_ruleset(project, center, settings)
    violations = check_publish(
        lot_plan(project, lot),
        ruleset,
        now=now,
        tz=ZoneInfo(center.timezone),
        sandbox_factor=project.accelerator,
    )
    if violations:
        raise RuleViolation(
            "；".join(str(v) for v in violations),
            detail={
                "violations": [
                    {
                        "rule": v.rule_id,
                        "citation": v.citation,
                        "zh": v.message_zh,
                        "en": v.message_en,
                    }
                    for v in violations
                ]
            },
        )
    if lot.state == LotState.ANNOUNCED:
        return lot
    custodians = await center_custodians(session, center.id)
    threshold = min(DEFAULT_CUSTODY_THRESHOLD, len(custodians))
    if threshold < 1:
        raise ValidationFailed(
            "本中心没有登记密钥的开标人，无法生成开标密钥 / the center has no custodians with keys"
        )
    opening_pub, bundle = create_custody(
        threshold, [b64u_decode(key.enc_pub, length=32) for _user, key in custodians]
    )
    async with writing(session):
        await lifecycle.move(
            session,
            lot,
            LotState.ANNOUNCED,
            actor,
            now=now,
            action="lot.publish",
            center_id=center.id,
            detail={
                "ruleset": ruleset.key,
                "overrides": {
                    r.id: str(r.value)
                    for r in ruleset.rules.values()
                    if r.overridden_from is not None
                },
                "custodians": [u.id for u, _k in custodians],
                "threshold": threshold,
                "opening_pub": b64u_encode(opening_pub),
            },
            values={
                "opening_pub": b64u_encode(opening_pub),
                "custody": {
                    "threshold": threshold,
                    "custodians": [u.id for u, _k in custodians],
                    "bundle": bundle.to_dict(),
                },
            },
        )
        session.add(
            Announcement(
                project_id=project.id,
                lot_id=lot.id,
                kind="tender",
                title=f"{project.title} {lot.title} 招标公告",
                body=project.description,
                state="published",
                published_at=now,
                digests=[],
                created_at=now,
            )
        )
    return lot


async def cancel_lot(
    session: AsyncSession, lot_id: int, actor: Actor, reason: str, *, now: datetime
) -> bool:
    lot = await get_lot(session, lot_id, actor)
    if not manages(actor, lot.project):
        raise Forbidden("无权终止该标段 / you may not cancel this lot")
    async with writing(session):
        return await lifecycle.move(
            session,
            lot,
            LotState.CANCELLED,
            actor,
            now=now,
            action="lot.cancel",
            center_id=lot.project.center_id,
            detail={"reason": reason},
            values={"failure_reason": reason},
        )


async def announcements_for(session: AsyncSession, project_id: int) -> list[Announcement]:
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.project_id == project_id, Announcement.state == "published")
        .order_by(Announcement.published_at)
    )
    return list(rows.all())


# ---- party keys --------------------------------------------------------------------------------


async def register_keys(
    session: AsyncSession,
    actor: Actor,
    public: dict[str, str],
    *,
    now: datetime,
    platform_sign_priv: bytes,
) -> PartyKey:
    """Record a party's public keys with the platform's certificate; older keys are revoked."""
    if actor.user_id is None:
        raise Forbidden("请先登录 / sign in first")
    try:
        pub = PublicIdentity.from_dict(public)
    except CryptoError as exc:
        raise ValidationFailed(f"keys: {exc}") from exc
    keys = pub.to_dict()
    certificate = certify(
        platform_sign_priv,
        {
            "party_id": f"user:{actor.user_id}",
            "name": actor.name,
            "sign_pub": keys["sign_pub"],
            "enc_pub": keys["enc_pub"],
            "issued_at": now.isoformat(),
        },
    )
    async with writing(session):
        old = await session.scalars(
            select(PartyKey).where(PartyKey.user_id == actor.user_id, PartyKey.revoked_at.is_(None))
        )
        for key in old:
            key.revoked_at = now
        party_key = PartyKey(
            user_id=actor.user_id,
            sign_pub=keys["sign_pub"],
            enc_pub=keys["enc_pub"],
            certificate=certificate,
            created_at=now,
        )
        session.add(party_key)
        await audit.append(
            session, actor, "keys.register", "user", actor.user_id, at=now, detail=keys
        )
    return party_key
