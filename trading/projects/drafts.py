"""Registering a project with its draft lots, and editing or deleting it while a draft."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from trading.audit import service as audit
from trading.centers.models import Center
from trading.centers.service import center_by_code
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.codes import CodeError, parse_division_code, validate_uscc
from trading.kernel.config import Settings
from trading.kernel.db import is_sqlite, writing
from trading.kernel.errors import Conflict, Forbidden, ValidationFailed
from trading.parties.models import Organization
from trading.projects import windows
from trading.projects.models import Lot, Project, ProjectCounter
from trading.projects.schemas import LotIn, ProjectIn
from trading.projects.service import get_project, manages
from trading.rules import RuleConfigError, Ruleset, get_ruleset
from trading.rules.methods import MethodCheck, method_problem


async def register_project(
    session: AsyncSession,
    data: ProjectIn,
    actor: Actor,
    *,
    now: datetime,
    settings: Settings,
    method_check: MethodCheck,
) -> Project:
    """Register a project and its draft lots. `method_check` is evaluation's parameter check,
    passed in by the composition root (bidhall.deps.provide_method_check; see
    trading.rules.methods) with the ruleset's allowed methods. Nothing is written on a refusal."""
    if not actor.has(Role.STAFF, Role.TENDERER, Role.AGENCY):
        raise Forbidden(
            "只有交易中心工作人员或招标人/代理可以登记项目 / role may not register projects"
        )
    uscc = _checked_uscc(data.tenderer_uscc)
    _check_methods(data, method_check)
    windows.check(data)
    async with writing(session):
        center = await _actor_center(session, actor, data.center_code)
        region = _checked_region(data.region_code or center.code)
        tenderer = await _tenderer(session, uscc, actor)
        # Amounts and times were validated once, when ProjectIn was built (kernel.bodies).
        number = await _next_project_number(session, center.id)
        project = Project(
            code=f"{center.code}-{now.year}-{number:05d}",
            center_id=center.id,
            agency_org_id=actor.org_id if actor.has(Role.AGENCY) else None,
            accelerator=settings.sandbox_factor if data.sandbox else 1,
            created_by_id=actor.user_id or 0,
            created_at=now,
            **_project_values(data, region, tenderer.id),
        )
        session.add(project)
        await session.flush()
        for number, lot_in in enumerate(data.lots, start=1):
            session.add(_draft_lot(project.id, center.id, number, lot_in, now))
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


async def _next_project_number(session: AsyncSession, center_id: int) -> int:
    """The center's next project number, taken in the caller's write transaction.

    The upsert holds the center's counter row until commit, so concurrent registrations get
    consecutive numbers. A center without a row yet starts after the projects it already has
    (the codes before the counter numbered them 1..n).
    """
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    existing = (
        select(func.count(Project.id)).where(Project.center_id == center_id).scalar_subquery()
    )
    allocate = (
        insert(ProjectCounter)
        .values(center_id=center_id, last=existing + 1)
        .on_conflict_do_update(
            index_elements=[ProjectCounter.center_id], set_={"last": ProjectCounter.last + 1}
        )
        .returning(ProjectCounter.last)
    )
    return (await session.execute(allocate)).scalar_one()


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


# ---- the fields a registration sets, editing and deleting ---------------------------------------


def _checked_uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except CodeError as exc:
        raise ValidationFailed(f"tenderer_uscc: {exc}", detail={"field": "tenderer_uscc"}) from exc


def _checked_region(value: str) -> str:
    try:
        parse_division_code(value)
    except CodeError as exc:
        raise ValidationFailed(f"region_code: {exc}", detail={"field": "region_code"}) from exc
    return value


async def _tenderer(session: AsyncSession, uscc: str, actor: Actor) -> Organization:
    tenderer = await session.scalar(select(Organization).where(Organization.uscc == uscc))
    if tenderer is None:
        raise ValidationFailed(
            f"tenderer_uscc: 未登记的单位 {uscc} / unknown organization",
            detail={"field": "tenderer_uscc"},
        )
    if actor.has(Role.TENDERER) and not actor.has(Role.STAFF) and actor.org_id != tenderer.id:
        raise Forbidden("招标人只能为本单位登记项目 / a tenderer registers only its own projects")
    return tenderer


def _project_values(data: ProjectIn, region: str, tenderer_id: int) -> dict[str, Any]:
    """The project's columns that its registration form states (and an edit may change)."""
    return {
        "title": data.title,
        "category": data.category,
        "method": data.method,
        "region_code": region,
        "tenderer_org_id": tenderer_id,
        "sandbox": data.sandbox,
        "description": data.description,
        "location": data.location,
        "qualification": data.qualification,
        "contact_name": data.contact_name,
        "contact_phone": data.contact_phone,
    }


def _check_methods(data: ProjectIn, method_check: MethodCheck) -> None:
    """Each lot's evaluation method against the ruleset's allowed ones (with the citation) and
    its parameters against evaluation's check: 422 naming `lots[i].evaluation_…`."""
    try:
        ruleset: Ruleset | None = get_ruleset(data.category, data.method)
    except RuleConfigError:
        ruleset = None  # no ruleset for the pair: publishing refuses it with the reason
    for i, lot_in in enumerate(data.lots):
        problem = method_problem(
            lot_in.evaluation_method, lot_in.evaluation_params, ruleset, method_check
        )
        if problem is None:
            continue
        v, field = problem.violation, f"lots[{i}].{problem.field}"
        raise ValidationFailed(
            f"{field}: {v.citation}：{v.message_zh} / {v.message_en}",
            detail={"field": field, "citation": v.citation, "rule": v.rule_id},
        )


def _draft_lot(project_id: int, center_id: int, number: int, lot_in: LotIn, now: datetime) -> Lot:
    return Lot(
        project_id=project_id,
        center_id=center_id,
        number=number,
        state=LotState.DRAFT,
        state_changed_at=now,
        **_lot_values(lot_in),
    )


def _lot_values(lot_in: LotIn) -> dict[str, Any]:
    return {
        "title": lot_in.title,
        "budget": lot_in.budget,
        "control_price": lot_in.control_price,
        "price_basis": lot_in.price_basis,
        "bid_security": lot_in.bid_security,
        "docs_issued_at": lot_in.docs_issued_at,
        "docs_available_until": lot_in.docs_available_until,
        "clarification_deadline": lot_in.clarification_deadline,
        "bid_deadline": lot_in.bid_deadline,
        "evaluation_at": lot_in.evaluation_at,
        "evaluation_method": lot_in.evaluation_method,
        "evaluation_params": lot_in.evaluation_params,
        "anonymous_technical": lot_in.anonymous_technical,
        "decrypt_window_minutes": lot_in.decrypt_window_minutes,
    }


async def _managed_draft(session: AsyncSession, project_id: int, actor: Actor) -> Project:
    project = await get_project(session, project_id, actor)
    if not manages(actor, project):
        raise Forbidden("无权修改该项目 / you may not change this project")
    return project


async def _lock_draft_lots(session: AsyncSession, project_id: int) -> list[tuple[int, int]]:
    """Inside the write transaction: hold the project's lot rows (PostgreSQL: FOR UPDATE; SQLite:
    the one writer) and refuse unless every lot is still a draft. Publishing takes the same
    lock before it moves a lot (trading.projects.publishing), so an edit and a publish of one
    lot never interleave. Returns (id, number) of each lot."""
    rows = (
        await session.execute(
            select(Lot.id, Lot.number, Lot.state)
            .where(Lot.project_id == project_id)
            .order_by(Lot.number)
            .with_for_update()
        )
    ).all()
    published = [number for _id, number, state in rows if state != LotState.DRAFT]
    if published:
        raise Conflict(
            f"项目已有标段发布（第{'、'.join(map(str, published))}标段），只能修改或删除草稿"
            f" / only drafts can be changed; lots {published} are no longer drafts",
            detail={"project_id": project_id, "published_lots": published},
        )
    return [(lot_id, number) for lot_id, number, _state in rows]


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in after.items() if before.get(k) != v)


async def update_draft(
    session: AsyncSession,
    project_id: int,
    data: ProjectIn,
    actor: Actor,
    *,
    now: datetime,
    method_check: MethodCheck,
) -> Project:
    """Replace a draft project's fields and lots (lot i of `data` is lot number i; lots beyond
    `data` are deleted, new ones added). Refused once any lot of it has been published; the
    evaluation methods are checked as at registration."""
    project = await _managed_draft(session, project_id, actor)
    if data.center_code is not None and data.center_code != project.center.code:
        raise ValidationFailed(
            "center_code: 项目不能改换交易中心 / a project never changes center",
            detail={"field": "center_code"},
        )
    uscc = _checked_uscc(data.tenderer_uscc)
    _check_methods(data, method_check)
    windows.check(data)
    region = _checked_region(data.region_code or project.region_code)
    async with writing(session):
        lots = await _lock_draft_lots(session, project.id)
        tenderer = await _tenderer(session, uscc, actor)
        before = (
            await session.execute(select(Project).where(Project.id == project.id))
        ).scalar_one()
        values = _project_values(data, region, tenderer.id)
        changed = _changed({k: getattr(before, k) for k in values}, values)
        await session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        by_number = dict((number, lot_id) for lot_id, number in lots)
        for number, lot_in in enumerate(data.lots, start=1):
            if number in by_number:
                result = await session.execute(
                    update(Lot)
                    .where(Lot.id == by_number[number], Lot.state == LotState.DRAFT)
                    .values(**_lot_values(lot_in))
                    .execution_options(synchronize_session=False)
                )
                assert result.rowcount == 1  # type: ignore[attr-defined]  # held since the lock
            else:
                session.add(_draft_lot(project.id, project.center_id, number, lot_in, now))
        removed = [lot_id for number, lot_id in by_number.items() if number > len(data.lots)]
        await purge(session, Lot.__table__, removed)  # type: ignore[arg-type]
        await session.flush()
        await audit.append(
            session,
            actor,
            "project.update",
            "project",
            project.id,
            at=now,
            center_id=project.center_id,
            detail={
                "code": project.code,
                "changed": changed,
                "lots": len(data.lots),
                "lots_removed": removed,
            },
        )
    session.expunge_all()  # the rows above were written by statements: load them afresh
    return await get_project(session, project.id, actor)


async def delete_draft(
    session: AsyncSession, project_id: int, actor: Actor, *, now: datetime
) -> None:
    """Delete a draft project with its lots and what hangs on them (documents of the draft).
    Its project code is not handed out again (the center's counter keeps counting)."""
    project = await _managed_draft(session, project_id, actor)
    async with writing(session):
        lots = await _lock_draft_lots(session, project.id)
        await purge(session, Project.__table__, [project.id])  # type: ignore[arg-type]
        await audit.append(
            session,
            actor,
            "project.delete",
            "project",
            project.id,
            at=now,
            center_id=project.center_id,
            detail={"code": project.code, "title": project.title, "lots": [i for i, _n in lots]},
        )
    session.expunge(project)


def _referencing(table: Table) -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) whose foreign key points at `table`'s rows."""
    return [
        (other, fk.parent)
        for other in table.metadata.tables.values()
        if other is not table
        for fk in other.foreign_keys
        if fk.column.table is table
    ]


async def purge(session: AsyncSession, table: Table, ids: Sequence[int]) -> None:
    """Delete these rows of `table` and, first, every row that refers to them (recursively), so
    no orphan is left whatever other packages hang on a lot or project. Only rows below the
    deleted ones go: nothing a draft merely points at (organizations, blobs, the counter)."""
    if not ids:
        return
    for child, column in _referencing(table):
        if "id" in child.c and _referencing(child):
            child_ids = list(await session.scalars(select(child.c.id).where(column.in_(ids))))
            await purge(session, child, child_ids)
        else:
            await session.execute(
                delete(child).where(column.in_(ids)).execution_options(synchronize_session=False)
            )
    await session.execute(
        delete(table).where(table.c.id.in_(ids)).execution_options(synchronize_session=False)
    )
