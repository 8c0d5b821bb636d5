"""Everything a bidder does before sealing: registration (报名), tender documents, questions
and answers, bid security (amendments: amendments.py; notices: inbox.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.participation.inbox import notify_registered
from bidding.participation.models import BidSecurity, Question, Registration
from trading.audit import service as audit
from trading.enums import LotState, Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore, StagedBlob
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from trading.parties.models import Organization
from trading.parties.secrecy import masked_bidder
from trading.projects.models import Document, Lot
from trading.projects.publishing import effective_ruleset, lot_plan
from trading.projects.service import can_see_unpublished, get_lot, manages
from trading.rules.engine import check_bid_security

SECURITY_FORMS = ("cash", "guarantee", "insurance")  # 现金 / 保函 / 保证保险
MAX_DOCUMENT_BYTES = 2 * 1024**3


def open_for_bidders(lot: Lot, now: datetime, what: str) -> None:
    if lot.state != LotState.ANNOUNCED or now >= lot.bid_deadline:
        raise Conflict(f"投标截止后不能{what} / no longer possible after the bid deadline")


async def _registration(session: AsyncSession, lot_id: int, actor: Actor) -> Registration | None:
    if actor.org_id is None:
        return None
    return await session.scalar(
        select(Registration).where(
            Registration.lot_id == lot_id, Registration.bidder_org_id == actor.org_id
        )
    )


async def _require_registration(session: AsyncSession, lot: Lot, actor: Actor) -> Registration:
    found = await _registration(session, lot.id, actor) if actor.has(Role.BIDDER) else None
    if found is None:
        raise Forbidden("请先报名本标段 / register for this lot first")
    return found


# ---- registration --------------------------------------------------------------------------------


def registration_closes(lot: Lot) -> datetime:
    """Registration closes with the documents' availability, at the latest at the deadline."""
    return min(lot.docs_available_until or lot.bid_deadline, lot.bid_deadline)


async def register(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    *,
    now: datetime,
    clock: Clock | None = None,
) -> Registration:
    """Register the bidder's organization for a lot; registering again changes nothing.

    Whether registration is still open is decided inside the writing transaction, holding the
    lot's row, on the clock read there (`clock`, else `now`): a request that waited past the
    closing time is refused, and two racing registrations of one company make one row."""
    if not actor.has(Role.BIDDER) or actor.org_id is None or actor.user_id is None:
        raise Forbidden("只有投标人可以报名 / only bidders register")
    lot = await get_lot(session, lot_id, actor)
    existing = await _registration(session, lot.id, actor)
    if existing is not None:  # registering again changes nothing, even once closed
        return existing
    closed = Conflict("报名已截止 / registration for this lot has closed")
    if lot.state != LotState.ANNOUNCED or now >= registration_closes(lot):
        raise closed
    org = await session.get(Organization, actor.org_id)
    if org is None:
        raise Forbidden("投标人单位不存在 / bidder organization missing")
    lot_ref, center_id, uscc = lot.id, lot.project.center_id, org.uscc
    try:
        async with writing(session):
            row = (
                await session.execute(
                    select(Lot.state, Lot.bid_deadline, Lot.docs_available_until)
                    .where(Lot.id == lot_ref)
                    .with_for_update()
                )
            ).one()
            now = clock.now() if clock is not None else now
            closes = min(row.docs_available_until or row.bid_deadline, row.bid_deadline)
            if row.state != LotState.ANNOUNCED or now >= closes:
                raise closed
            registration = Registration(
                lot_id=lot_ref, bidder_org_id=actor.org_id, user_id=actor.user_id, registered_at=now
            )
            session.add(registration)
            await session.flush()
            # Who is interested in a live lot is as secret as who bids on it.
            masked, commitment = await masked_bidder(session, lot_ref, uscc)
            await audit.append(
                session,
                masked,
                "participation.register",
                "lot",
                lot_ref,
                at=now,
                center_id=center_id,
                detail={"bidder": commitment},
            )
    except IntegrityError:  # a colleague's registration of the same company won the race
        existing = await _registration(session, lot_ref, actor)
        if existing is None:
            raise
        return existing
    return registration


# ---- tender documents ------------------------------------------------------------------------


def check_document_name(name: str | None) -> str:
    if (
        not name
        or len(name) > 255
        or any(c in name for c in '/\\:*?"<>|\x00')
        or name.startswith(".")
    ):
        raise ValidationFailed(f"文件名无效 / invalid document name: {name!r}")
    return name


async def add_document(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    name: str | None,
    staged: StagedBlob,
    blobs: LocalBlobStore,
    *,
    now: datetime,
    content_type: str = "application/octet-stream",
) -> Document:
    """Attach a tender document (stored by SHA-256); only before the deadline."""
    try:
        lot = await get_lot(session, lot_id, actor)
        if not manages(actor, lot.project):
            raise Forbidden("无权上传招标文件 / you may not add documents to this lot")
        if lot.state not in (LotState.DRAFT, LotState.ANNOUNCED) or now >= lot.bid_deadline:
            raise Conflict("投标截止后不能修改招标文件 / documents are frozen after the deadline")
        async with writing(session):
            document = Document(
                lot_id=lot.id,
                name=check_document_name(name),
                sha256=staged.sha256,
                size=staged.size,
                content_type=content_type,
                created_at=now,
            )
            session.add(document)
            await session.flush()
            await audit.append(
                session,
                actor,
                "document.add",
                "lot",
                lot.id,
                at=now,
                center_id=lot.project.center_id,
                detail={"document_id": document.id, "name": document.name, "sha256": staged.sha256},
            )
            blobs.commit(staged)
        return document
    finally:
        blobs.discard(staged)


async def documents(session: AsyncSession, lot_id: int, actor: Actor) -> list[Document]:
    lot = await get_lot(session, lot_id, actor)
    rows = await session.scalars(
        select(Document).where(Document.lot_id == lot.id).order_by(Document.id)
    )
    return list(rows.all())


async def open_document(
    session: AsyncSession, document_id: int, actor: Actor, blobs: LocalBlobStore, *, now: datetime
) -> tuple[Document, BinaryIO]:
    """Registered bidders, the lot's managers and supervisors download; each download is logged."""
    document = await session.get(Document, document_id)
    if document is None:
        raise NotFound(f"文件 {document_id} 不存在 / document not found")
    lot = await get_lot(session, document.lot_id, actor)
    allowed = await can_see_unpublished(session, actor, lot.project) or (
        await _registration(session, lot.id, actor) is not None
    )
    if not allowed:
        raise Forbidden("报名后方可下载招标文件 / register for the lot to download its documents")
    async with writing(session):
        await audit.append(
            session,
            actor,
            "document.download",
            "lot",
            lot.id,
            at=now,
            center_id=lot.project.center_id,
            detail={"document_id": document.id},
        )
    return document, blobs.open(document.sha256)


# ---- questions and answers -------------------------------------------------------------------


async def ask(
    session: AsyncSession, lot_id: int, actor: Actor, text: str, *, now: datetime
) -> Question:
    lot = await get_lot(session, lot_id, actor)
    await _require_registration(session, lot, actor)
    cutoff = lot.clarification_deadline or lot.bid_deadline
    if lot.state != LotState.ANNOUNCED or now >= cutoff:
        raise Conflict("提问已截止 / the question period has ended")
    text = text.strip()
    if not 2 <= len(text) <= 4000:
        raise ValidationFailed("text: 问题应为2至4000字 / 2 to 4000 characters")
    async with writing(session):
        question = Question(lot_id=lot.id, asker_org_id=actor.org_id or 0, text=text, asked_at=now)
        session.add(question)
        await session.flush()
        await audit.append(
            session,
            actor,
            "question.ask",
            "lot",
            lot.id,
            at=now,
            center_id=lot.project.center_id,
            detail={"question_id": question.id},
        )
    return question


async def answer(
    session: AsyncSession, question_id: int, actor: Actor, text: str, *, now: datetime
) -> Question:
    """Answered publicly, without naming the asker; every registered bidder is notified."""
    question = await session.get(Question, question_id)
    if question is None:
        raise NotFound(f"问题 {question_id} 不存在 / question not found")
    lot = await get_lot(session, question.lot_id, actor)
    if not manages(actor, lot.project):
        raise Forbidden("无权答复 / you may not answer questions on this lot")
    open_for_bidders(lot, now, "答复")
    text = text.strip()
    if not 2 <= len(text) <= 8000:
        raise ValidationFailed("text: 答复应为2至8000字 / 2 to 8000 characters")
    async with writing(session):
        # Compare-and-set: a published answer is part of the tender documents and is never
        # overwritten (a correction is an amendment); of two racing answers one wins.
        won = await session.execute(
            update(Question)
            .where(Question.id == question.id, Question.answer.is_(None))
            .values(answer=text, answered_at=now, answered_by_id=actor.user_id)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("该问题已答复 / this question is already answered")
        await session.refresh(question)
        await notify_registered(
            session, lot, "clarification", f"问题答复：{question.text[:60]}", now
        )
        await audit.append(
            session,
            actor,
            "question.answer",
            "lot",
            lot.id,
            at=now,
            center_id=lot.project.center_id,
            detail={"question_id": question.id},
        )
    return question


async def public_questions(session: AsyncSession, lot_id: int, actor: Actor) -> list[Question]:
    lot = await get_lot(session, lot_id, actor)
    rows = await session.scalars(
        select(Question)
        .where(Question.lot_id == lot.id, Question.answer.is_not(None))
        .order_by(Question.answered_at)
    )
    return list(rows.all())


async def all_questions(session: AsyncSession, lot_id: int, actor: Actor) -> list[Question]:
    """Every question on the lot, unanswered first, for those who see its unpublished work
    (its managers, its center's staff and supervisors); the asker is not part of the result."""
    lot = await get_lot(session, lot_id, actor)
    if not await can_see_unpublished(session, actor, lot.project):
        raise Forbidden("无权查看未答复的问题 / you may not read unanswered questions")
    rows = await session.scalars(
        select(Question)
        .where(Question.lot_id == lot.id)
        .order_by(Question.answered_at.is_not(None), Question.asked_at, Question.id)
    )
    return list(rows.all())


# ---- bid security ------------------------------------------------------------------------------


async def record_security(
    session: AsyncSession,
    lot_id: int,
    actor: Actor,
    *,
    amount: Decimal,
    form: str,
    reference: str,
    now: datetime,
    settings: Settings,
) -> BidSecurity:
    """Record the security lodged; it must meet the lot's requirement and the legal cap."""
    lot = await get_lot(session, lot_id, actor)
    await _require_registration(session, lot, actor)
    open_for_bidders(lot, now, "提交保证金")
    if form not in SECURITY_FORMS:
        raise ValidationFailed(f"form: 应为 {'/'.join(SECURITY_FORMS)} / must be one of them")
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed("amount: 金额最多两位小数 / at most 2 decimal places")
    if amount < lot.bid_security:
        raise ValidationFailed(
            f"amount: 低于招标文件要求的 {lot.bid_security} 元 / below the required amount"
        )
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    over = check_bid_security(amount, lot_plan(lot.project, lot), ruleset)
    if over is not None:
        raise RuleViolation(str(over), detail={"rule": over.rule_id, "citation": over.citation})
    reference = reference.strip()
    if not 1 <= len(reference) <= 100:
        raise ValidationFailed("reference: 1至100字 / 1 to 100 characters")
    async with writing(session):
        existing = await session.scalar(
            select(BidSecurity).where(
                BidSecurity.lot_id == lot.id, BidSecurity.bidder_org_id == actor.org_id
            )
        )
        security = existing or BidSecurity(lot_id=lot.id, bidder_org_id=actor.org_id or 0)
        security.amount, security.form, security.reference = amount, form, reference
        security.recorded_at = now
        session.add(security)
        await audit.append(
            session,
            actor,
            "participation.security",
            "lot",
            lot.id,
            at=now,
            center_id=lot.project.center_id,
            detail={"amount": str(amount), "form": form},
        )
    return security
