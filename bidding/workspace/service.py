"""The center workspace's reads: which center a staff member or supervisor works on, the
dashboard (today's openings, lots by state, what waits for staff), a center's lots by page,
the lot desk's lot, and the rules a draft breaks, each tied to the form field it concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bidding.hall.models import OpeningResponse, ResponseKind
from bidding.opening.models import Opening, ReleasedShare
from bidding.participation.models import Question
from trading.centers.models import Center
from trading.centers.scope import Material, may_see, visible_centers
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError, Forbidden, NotFound
from trading.parties.models import Organization
from trading.projects.models import Lot, Project
from trading.projects.publishing import effective_ruleset, lot_plan
from trading.projects.schemas import LotIn, ProjectIn
from trading.rules import RuleConfigError, Ruleset, get_ruleset
from trading.rules.engine import Violation, check_publish
from trading.rules.methods import MethodCheck, method_problem

# An opening that has not finished this long after its deadline needs a person.
STALLED_AFTER = timedelta(minutes=15)
PAGE_SIZE = 50
WAIT_ROWS = 20  # rows per "waits for staff" list; the total is shown beside them
# Every state a lot passes through, in the order of the lifecycle (dashboard counts).
STATE_ORDER = list(LotState)


# ---- which center, and may the actor act there -----------------------------------------------


@dataclass(frozen=True)
class Desk:
    """The center the workspace shows, the centers the actor may switch to, and whether the
    actor only reads (supervisors; staff act for their own center only)."""

    center: Center
    choices: list[Center]
    read_only: bool


def acts_for(actor: Actor, center_id: int) -> bool:
    return actor.has(Role.STAFF) and actor.center_id == center_id


async def desk(session: AsyncSession, actor: Actor, code: str | None = None) -> Desk:
    """Staff work on their own center; supervisors read their center or one below it."""
    if actor.center_id is None or not actor.has(Role.STAFF, Role.SUPERVISOR):
        raise Forbidden("需要交易中心工作人员或监督角色 / requires center staff or supervisor")
    scope = await visible_centers(session, actor)
    ids = scope.centers(Material.UNPUBLISHED)
    choices = list(
        await session.scalars(select(Center).where(Center.id.in_(ids)).order_by(Center.code))
    )
    if code:
        center = next((c for c in choices if c.code == code), None)
        if center is None:
            raise Forbidden(
                f"交易中心 {code} 不在您的权限范围内 / center {code} is out of your scope"
            )
    else:
        center = next(c for c in choices if c.id == actor.center_id)
    return Desk(center, choices, read_only=not acts_for(actor, center.id))


async def desk_lot(session: AsyncSession, lot_id: int, actor: Actor) -> tuple[Lot, bool]:
    """The lot with its project and center, and whether the actor only reads it. Staff of
    another center are refused (403) whatever the lot's state."""
    lot = await session.scalar(
        select(Lot)
        .where(Lot.id == lot_id)
        .options(joinedload(Lot.project, innerjoin=True).joinedload(Project.center, innerjoin=True))
    )
    if lot is None:
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    scope = await visible_centers(session, actor)
    if not may_see(scope, lot.center_id, Material.UNPUBLISHED):
        raise Forbidden("该标段不属于您的交易中心 / this lot is not your center's")
    return lot, not acts_for(actor, lot.center_id)


async def tenderer_of(session: AsyncSession, project: Project) -> Organization | None:
    return await session.get(Organization, project.tenderer_org_id)


# ---- the dashboard ---------------------------------------------------------------------------


@dataclass
class Waiting:
    """One list of what waits for staff: the first rows and how many there are."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0


@dataclass
class Dashboard:
    today: list[dict[str, Any]]
    by_state: list[tuple[str, int]]
    questions: Waiting
    objections: Waiting
    publicity: Waiting
    stalled: Waiting


def _day(center: Center, now: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(center.timezone)
    start = datetime.combine(now.astimezone(zone).date(), time(), zone)
    return start, start + timedelta(days=1)


async def _today(session: AsyncSession, center: Center, now: datetime) -> list[dict[str, Any]]:
    start, end = _day(center, now)
    lots = list(
        await session.scalars(
            select(Lot)
            .where(
                Lot.center_id == center.id,
                Lot.state != LotState.DRAFT,
                Lot.bid_deadline >= start,
                Lot.bid_deadline < end,
            )
            .options(selectinload(Lot.project))
            .order_by(Lot.bid_deadline, Lot.id)
        )
    )
    released: dict[int, int] = {}
    if lots:
        counted = await session.execute(
            select(ReleasedShare.lot_id, func.count())
            .where(ReleasedShare.lot_id.in_([lot.id for lot in lots]))
            .group_by(ReleasedShare.lot_id)
        )
        released = {lot_id: n for lot_id, n in counted}
    return [
        {
            "lot": lot,
            "released": released.get(lot.id, 0),
            "threshold": int((lot.custody or {}).get("threshold", 0)),
            "custodians": len((lot.custody or {}).get("custodians", [])),
        }
        for lot in lots
    ]


async def _by_state(session: AsyncSession, center_id: int) -> list[tuple[str, int]]:
    counted = dict(
        (state, n)
        for state, n in await session.execute(
            select(Lot.state, func.count()).where(Lot.center_id == center_id).group_by(Lot.state)
        )
    )
    return [(state.value, counted.get(state.value, 0)) for state in STATE_ORDER]


async def _waiting(session: AsyncSession, stmt: Any) -> tuple[list[Any], int]:
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = (await session.execute(stmt.limit(WAIT_ROWS))).all()
    return list(rows), total


async def _questions(session: AsyncSession, center_id: int) -> Waiting:
    rows, total = await _waiting(
        session,
        select(Question.id, Question.text, Question.asked_at, Lot.id, Lot.title)
        .join(Lot, Lot.id == Question.lot_id)
        .where(Lot.center_id == center_id, Question.answer.is_(None))
        .order_by(Question.asked_at, Question.id),
    )
    return Waiting(
        [
            {"id": q, "text": text, "at": at, "lot_id": lot, "lot_title": title}
            for q, text, at, lot, title in rows
        ],
        total,
    )


async def _objections(session: AsyncSession, center_id: int) -> Waiting:
    rows, total = await _waiting(
        session,
        select(
            OpeningResponse.id,
            OpeningResponse.text,
            OpeningResponse.created_at,
            Lot.id,
            Lot.title,
        )
        .join(Lot, Lot.id == OpeningResponse.lot_id)
        .where(
            Lot.center_id == center_id,
            OpeningResponse.kind == ResponseKind.OBJECTION,
            OpeningResponse.answer.is_(None),
        )
        .order_by(OpeningResponse.created_at, OpeningResponse.id),
    )
    return Waiting(
        [
            {"id": o, "text": text, "at": at, "lot_id": lot, "lot_title": title}
            for o, text, at, lot, title in rows
        ],
        total,
    )


def publicity_ends(lot: Lot, settings: Settings) -> datetime | None:
    """When a lot's candidates publicity ends (条例 54: at least the ruleset's days, divided by
    a sandbox project's accelerator); None when its ruleset has no such period."""
    try:
        ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    except DomainError:
        return None
    rule = ruleset.get("publicity_days")
    if rule is None:
        return None
    return lot.state_changed_at + timedelta(days=int(rule.value)) / max(lot.project.accelerator, 1)


async def _publicity(session: AsyncSession, center: Center, settings: Settings) -> Waiting:
    lots = list(
        await session.scalars(
            select(Lot)
            .where(Lot.center_id == center.id, Lot.state == LotState.PUBLICITY)
            .options(
                joinedload(Lot.project, innerjoin=True).joinedload(Project.center, innerjoin=True)
            )
        )
    )
    rows = sorted(
        ({"lot": lot, "ends": publicity_ends(lot, settings)} for lot in lots),
        key=lambda r: (r["ends"] is None, r["ends"] or r["lot"].state_changed_at),
    )
    return Waiting(rows[:WAIT_ROWS], len(rows))


async def _stalled(session: AsyncSession, center_id: int, now: datetime) -> Waiting:
    """Lots past their deadline by STALLED_AFTER that are still announced (the opening never
    started) or still opening with no record and no live runner's lease."""
    late = now - STALLED_AFTER
    stmt = (
        select(Lot)
        .outerjoin(Opening, Opening.lot_id == Lot.id)
        .where(
            Lot.center_id == center_id,
            Lot.bid_deadline < late,
            or_(
                Lot.state == LotState.ANNOUNCED,
                and_(
                    Lot.state == LotState.OPENING,
                    Opening.record.is_(None),
                    or_(Opening.lease_until.is_(None), Opening.lease_until < now),
                ),
            ),
        )
        .order_by(Lot.bid_deadline, Lot.id)
    )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    lots = list(await session.scalars(stmt.limit(WAIT_ROWS)))
    return Waiting(
        [{"lot": lot, "not_started": lot.state == LotState.ANNOUNCED} for lot in lots],
        total,
    )


async def dashboard(
    session: AsyncSession, center: Center, *, now: datetime, settings: Settings
) -> Dashboard:
    return Dashboard(
        today=await _today(session, center, now),
        by_state=await _by_state(session, center.id),
        questions=await _questions(session, center.id),
        objections=await _objections(session, center.id),
        publicity=await _publicity(session, center, settings),
        stalled=await _stalled(session, center.id, now),
    )


# ---- a center's lots, a page at a time -------------------------------------------------------


@dataclass(frozen=True)
class LotPage:
    rows: list[Lot]
    total: int
    page: int
    pages: int


async def center_lots(
    session: AsyncSession, center_id: int, *, state: str | None = None, page: int = 1
) -> LotPage:
    """A center's lots, drafts included, latest deadline first; every page reachable, with the
    total (no silent cap)."""
    where = [Lot.center_id == center_id]
    if state:
        where.append(Lot.state == state)
    total = await session.scalar(select(func.count()).select_from(Lot).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(
        await session.scalars(
            select(Lot)
            .where(*where)
            .options(selectinload(Lot.project))
            .order_by(Lot.bid_deadline.desc(), Lot.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return LotPage(rows, total, page, pages)


# ---- the rules a draft breaks, next to the fields they concern --------------------------------


@dataclass(frozen=True)
class Finding:
    """A message for one form field (`lots-0-bid_deadline`), with the rule's citation if a rule
    of the ruleset or the platform says it."""

    field: str
    zh: str
    en: str
    citation: str = ""


# Which lot field a rule's finding belongs next to (trading/rules/engine.py names the rules).
RULE_FIELDS = {
    "deadline_in_future": "bid_deadline",
    "bid_period_days": "bid_deadline",
    "response_period_days": "bid_deadline",
    "docs_available_days": "docs_available_until",
    "clarification_days": "clarification_deadline",
    "budget_positive": "budget",
    "control_price_positive": "control_price",
    "control_price_within_budget": "control_price",
    "bid_security_amount": "bid_security",
    "bid_security_max_percent": "bid_security",
}
# Rules shared by several fields: the field is told by what the message names.
_BY_TEXT = {
    "date_order": (
        ("evaluation", "evaluation_at"),
        ("clarification", "clarification_deadline"),
        ("availability", "docs_available_until"),
        ("", "docs_issued_at"),
    ),
    "amount_precision": (
        ("control price", "control_price"),
        ("bid security", "bid_security"),
        ("", "budget"),
    ),
}


def field_of(violation: Violation) -> str:
    if violation.rule_id in RULE_FIELDS:
        return RULE_FIELDS[violation.rule_id]
    for needle, name in _BY_TEXT.get(violation.rule_id, ()):
        if needle in violation.message_en:
            return name
    return "bid_deadline"


def _findings(
    project: Project, lot: Lot, index: int, *, now: datetime, settings: Settings, center: Center
) -> list[Finding]:
    try:
        ruleset = effective_ruleset(project, center, settings)
    except DomainError as exc:
        return [Finding("method", exc.message, exc.message)]
    violations = check_publish(
        lot_plan(project, lot),
        ruleset,
        now=now,
        tz=ZoneInfo(center.timezone),
        sandbox_factor=project.accelerator,
    )
    return [
        Finding(f"lots-{index}-{field_of(v)}", v.message_zh, v.message_en, v.citation)
        for v in violations
    ]


def check_draft(
    data: ProjectIn,
    center: Center,
    *,
    now: datetime,
    settings: Settings,
    method_check: MethodCheck | None = None,
) -> list[Finding]:
    """What publishing would refuse in a posted form, before anything is stored: the same
    ruleset and checks as trading.projects.publishing, on unsaved objects; and what
    registration refuses in each lot's evaluation method (trading.rules.methods)."""
    project = Project(
        category=data.category,
        method=data.method,
        sandbox=data.sandbox,
        accelerator=settings.sandbox_factor if data.sandbox else 1,
    )
    found: list[Finding] = []
    for i, lot_in in enumerate(data.lots):
        lot = Lot(
            budget=lot_in.budget,
            control_price=lot_in.control_price,
            bid_security=lot_in.bid_security,
            docs_issued_at=lot_in.docs_issued_at,
            docs_available_until=lot_in.docs_available_until,
            clarification_deadline=lot_in.clarification_deadline,
            bid_deadline=lot_in.bid_deadline,
            evaluation_at=lot_in.evaluation_at,
        )
        found += _findings(project, lot, i, now=now, settings=settings, center=center)
        found += _method_findings(data, lot_in, i, method_check)
    return found


def _method_findings(
    data: ProjectIn, lot_in: LotIn, i: int, method_check: MethodCheck | None
) -> list[Finding]:
    try:
        ruleset: Ruleset | None = get_ruleset(data.category, data.method)
    except RuleConfigError:
        ruleset = None
    problem = method_problem(
        lot_in.evaluation_method, lot_in.evaluation_params, ruleset, method_check
    )
    if problem is None:
        return []
    v, name = problem.violation, problem.field.partition(".")[0]
    return [Finding(f"lots-{i}-{name}", v.message_zh, v.message_en, v.citation)]


def check_stored(
    project: Project, lots: list[Lot], *, now: datetime, settings: Settings
) -> list[Finding]:
    """What a stored draft currently breaks (time passes: a lawful plan can become late)."""
    found: list[Finding] = []
    for i, lot in enumerate(lots):
        if lot.state == LotState.DRAFT:
            found += _findings(project, lot, i, now=now, settings=settings, center=project.center)
    return found
