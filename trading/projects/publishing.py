"""Publishing a lot: its plan checked against the ruleset, the opening key put in custody."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crypto.custody import create_custody
from crypto.encoding import b64u_decode, b64u_encode
from trading.announcements import builders as announcements
from trading.centers.models import Center
from trading.centers.service import center_custodians
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Forbidden, RuleViolation, ValidationFailed
from trading.projects import lifecycle
from trading.projects.models import Lot, Project
from trading.projects.service import get_lot, manages
from trading.rules.engine import LotPlan, check_publish
from trading.rules.rulesets import RuleConfigError, Ruleset, get_ruleset

DEFAULT_CUSTODY_THRESHOLD = 2


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


def _columns(model: type[Lot] | type[Project]) -> list[str]:
    return [attr.key for attr in model.__mapper__.column_attrs]


def _refuse_violations(project: Project, lot: Lot, ruleset: Ruleset, now: datetime) -> None:
    violations = check_publish(
        lot_plan(project, lot),
        ruleset,
        now=now,
        tz=ZoneInfo(project.center.timezone),
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
    _refuse_violations(project, lot, ruleset, now)
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
        # A draft edit (drafts.update_draft, which holds the same rows) may have committed
        # since the check above: what is published is checked again, under the lot's lock.
        await session.refresh(lot, _columns(Lot), with_for_update=True)
        await session.refresh(project, _columns(Project))
        if lot.state == LotState.ANNOUNCED:  # a concurrent publish won
            return lot
        ruleset = effective_ruleset(project, center, settings)
        _refuse_violations(project, lot, ruleset, now)
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
        await announcements.tender(session, lot, actor, at=now, project=project)
    return lot
