"""Clarification requests (澄清), one entry point per use case (API and pages).

A seated member who has declared asks one bidder a question about its bid while the committee
works (lot opened, not finalised). The chair sets the answer deadline: the chair's own question
goes out at once with it, another member's waits until the chair sends it. The bidder reads it
in its workspace and answers once, before the deadline, with text and an optional file (stored
by SHA-256). The answer has no price field: a clarification may not change the bid's substance
(招标投标法实施条例 第52条). On an 暗标 lot the committee sees the bidder as its letter only.
Every step is audited against the clarification, not the lot: a lot's entries are public once
it is opened, and an answer's entry names the bidder's user, which on an 暗标 lot would pair the
letter the committee sees with the company (supervisors still read them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import notify_bidder, opened_bids, opening_bidders
from evaluation.clarify import anonymity
from evaluation.clarify.models import Clarification
from evaluation.clarify.models import ClarificationState as St
from evaluation.experts.models import Committee, CommitteeMember
from evaluation.scoring.models import ScoringFinal
from evaluation.scoring.service import WORKING, Seat, seat, unmask_keys
from trading.audit import service as audit
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.blobs import BlobStore, off_loop
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.projects.models import Lot
from trading.projects.service import get_lot

CITATION = "招标投标法实施条例 第52条"
MAX_QUESTION = 2000
MAX_ANSWER = 20_000
MAX_FILE_BYTES = 10 << 20
MAX_FILE_NAME = 255
LONGEST_WAIT = timedelta(days=30)  # a deadline further out is a typo
NOTICE_KIND = "eval_clarify"
NOTICE_TEXT = (
    "评标委员会请求澄清，请在截止时间前于“澄清”页答复"
    " / The evaluation committee asks for a clarification: answer on the Clarifications page"
    " before its deadline"
)


@dataclass(frozen=True)
class View:
    """One clarification as a reader may see it: `bidder` is a letter on a masked 暗标 lot for
    the committee, and the committee's member is a position, never a name, for the bidder."""

    id: int
    lot_id: int
    lot_title: str
    bidder: str
    bid_key: str
    position: int
    question: str
    state: str
    asked_at: datetime
    sent_at: datetime | None
    answer_by: datetime | None
    answer: str | None
    file_name: str | None
    file_sha256: str | None
    file_size: int | None
    answered_at: datetime | None

    @property
    def open(self) -> bool:
        return self.state == St.SENT


def _text(raw: str, field: str, limit: int) -> str:
    text = raw.strip()
    if len(text) < 2:
        raise ValidationFailed(f"{field}: 请填写内容 / required", detail={"field": field})
    if len(text) > limit:
        raise ValidationFailed(
            f"{field}: 不超过 {limit} 字 / at most {limit} characters", detail={"field": field}
        )
    return text


def _deadline(answer_by: datetime | None, now: datetime) -> datetime:
    if answer_by is None:
        raise ValidationFailed("answer_by: 请设定答复截止时间 / set the answer deadline",
                               detail={"field": "answer_by"})  # fmt: skip
    if answer_by.tzinfo is None:
        raise ValidationFailed("answer_by: 需带时区 / needs a time zone")
    if not now < answer_by <= now + LONGEST_WAIT:
        raise ValidationFailed(
            "answer_by: 截止时间应在今后 30 日内 / the deadline must be within the next 30 days",
            detail={"field": "answer_by"},
        )
    return answer_by


def _working(s: Seat) -> None:
    if s.final is not None:
        raise Conflict("评标已定稿，不再澄清 / the evaluation is finalised: no more clarifications")
    if s.lot.state not in WORKING:
        raise Conflict("标段不在评标中 / the lot is not being evaluated")
    if s.sheet is None:
        raise Conflict("请先声明无利害关系 / declare no conflict first")


async def _notify(session: AsyncSession, c: Clarification, now: datetime) -> None:
    await notify_bidder(session, c.lot_id, c.bidder_org_id, NOTICE_KIND, NOTICE_TEXT, now)


async def ask(
    session: AsyncSession,
    actor: Actor,
    lot_id: int,
    bid_key: str,
    question: str,
    *,
    now: datetime,
    answer_by: datetime | None = None,
) -> Clarification:
    """A member's question about one bid (`bid_key`: the bid's id, or its letter on a masked 暗标
    lot). The chair gives `answer_by` and the question goes out; another member may not."""
    async with writing(session):
        s = await seat(session, actor, lot_id)
        _working(s)
        text = _text(question, "question", MAX_QUESTION)
        if answer_by is not None and not s.is_chair:
            raise Forbidden("仅评标委员会主任可设定答复截止时间 / only the chair sets the deadline")
        key = (await unmask_keys(session, s.lot, False, [bid_key.strip()]))[bid_key.strip()]
        org = {str(b.bid_id): b.org_id for b in await opening_bidders(session, lot_id)}
        opened = {str(b.bid_id) for b in await opened_bids(session, lot_id)}
        if key not in opened:
            raise ValidationFailed("bid: 无此投标 / no such bid", detail={"field": "bid"})
        c = Clarification(
            lot_id=lot_id, bid_id=int(key), bidder_org_id=org[key], asked_by_member_id=s.member.id,
            question=text, asked_at=now, state=St.PROPOSED,
        )  # fmt: skip
        if s.is_chair:
            c.state, c.sent_at, c.answer_by = St.SENT, now, _deadline(answer_by, now)
        session.add(c)
        await session.flush()
        if c.state == St.SENT:
            await _notify(session, c, now)
        await audit.append(
            session, s.audit_actor, "clarification.asked", "clarification", c.id, at=now,
            center_id=s.lot.project.center_id,
            detail={"lot": lot_id, "position": s.member.position, "state": c.state,
                    "question_sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "answer_by": c.answer_by.isoformat() if c.answer_by else None},
        )  # fmt: skip
    return c


async def send(
    session: AsyncSession,
    actor: Actor,
    lot_id: int,
    clarification_id: int,
    answer_by: datetime | None,
    *,
    now: datetime,
) -> Clarification:
    """The chair sends a member's question to the bidder with its deadline (once)."""
    async with writing(session):
        s = await seat(session, actor, lot_id)
        _working(s)
        if not s.is_chair:
            raise Forbidden("仅评标委员会主任可发出澄清 / only the chair sends a clarification")
        deadline = _deadline(answer_by, now)
        done = await session.execute(
            update(Clarification)
            .where(
                Clarification.id == clarification_id,
                Clarification.lot_id == lot_id,
                Clarification.state == St.PROPOSED,
            )
            .values(state=St.SENT, sent_at=now, answer_by=deadline)
        )
        c = await session.get(Clarification, clarification_id, populate_existing=True)
        if c is None or c.lot_id != lot_id:
            raise NotFound(f"澄清 {clarification_id} 不存在 / clarification not found")
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("该澄清已发出 / this clarification was already sent")
        await _notify(session, c, now)
        await audit.append(
            session, s.audit_actor, "clarification.sent", "clarification", c.id, at=now,
            center_id=s.lot.project.center_id,
            detail={"lot": lot_id, "answer_by": deadline.isoformat()},
        )  # fmt: skip
    return c


async def answer(
    session: AsyncSession,
    actor: Actor,
    clarification_id: int,
    text: str,
    *,
    now: datetime,
    blobs: BlobStore,
    file: tuple[str, bytes] | None = None,
) -> Clarification:
    """The bidder's one answer, before the deadline, while the committee still works. Another
    company's clarification is a 404 (nothing about it leaks); a second answer or a late one is a
    409 (compare-and-set on the row: of two answers racing, one wins)."""
    if not actor.has(Role.BIDDER) or actor.org_id is None:
        raise Forbidden("需要投标人角色 / requires the bidder role")
    body = _text(text, "answer", MAX_ANSWER)
    name, data = file if file else ("", b"")
    if file is not None:
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:MAX_FILE_NAME] or "file"
        if len(data) > MAX_FILE_BYTES:
            raise ValidationFailed(f"file: 附件不超过 {MAX_FILE_BYTES >> 20} MiB / file too large",
                                   detail={"field": "file"})  # fmt: skip
    sha = hashlib.sha256(data).hexdigest() if file is not None else None
    async with writing(session):
        c = await session.get(Clarification, clarification_id, populate_existing=True)
        if c is None or c.bidder_org_id != actor.org_id or c.state == St.PROPOSED:
            raise NotFound(f"澄清 {clarification_id} 不存在 / clarification not found")
        lot = await get_lot(session, c.lot_id, actor)
        if await _finalised(session, c.lot_id) or lot.state not in WORKING:
            raise Conflict("评标已结束，不再接受澄清 / the evaluation is over: no answer accepted")
        done = await session.execute(
            update(Clarification)
            .where(
                Clarification.id == clarification_id,
                Clarification.state == St.SENT,
                Clarification.answer_by > now,
            )
            .values(
                state=St.ANSWERED,
                answer=body,
                answered_at=now,
                answered_by_id=actor.user_id,
                file_name=name or None,
                file_sha256=sha,
                file_size=len(data) if file else None,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(c)
            if c.state == St.ANSWERED:
                raise Conflict("该澄清已答复，不可再答 / this clarification is already answered")
            raise Conflict(
                "答复截止时间已过 / the answer deadline has passed",
                detail={"answer_by": c.answer_by.isoformat() if c.answer_by else None},
            )
        if file is not None:  # stored only once the answer is accepted: a refusal leaves nothing
            await off_loop(blobs.put_bytes, data)
        await audit.append(
            session, actor, "clarification.answered", "clarification", c.id, at=now,
            center_id=lot.project.center_id,
            detail={"lot": c.lot_id,
                    "answer_sha256": hashlib.sha256(body.encode()).hexdigest(),
                    "file_sha256": sha},
        )  # fmt: skip
        await session.refresh(c)
    return c


async def _finalised(session: AsyncSession, lot_id: int) -> bool:
    committee = await session.scalar(select(Committee.id).where(Committee.lot_id == lot_id))
    return committee is not None and await session.get(ScoringFinal, committee) is not None


# ---- reading -----------------------------------------------------------------------------------


async def _views(
    session: AsyncSession, lot: Lot, rows: list[Clarification], *, masked: dict[int, str] | None
) -> list[View]:
    names = {b.bid_id: b.name for b in await opening_bidders(session, lot.id)}
    positions = dict(
        (
            await session.execute(
                select(CommitteeMember.id, CommitteeMember.position).where(
                    CommitteeMember.id.in_({c.asked_by_member_id for c in rows})
                )
            )
        ).all()
    )
    out = []
    for c in rows:
        if masked is not None:
            who, key = anonymity.display(masked.get(c.bid_id, "?")), masked.get(c.bid_id, "?")
        else:
            who, key = names.get(c.bid_id, ""), str(c.bid_id)
        out.append(
            View(
                c.id,
                c.lot_id,
                f"{lot.project.title} {lot.title}",
                who,
                key,
                positions.get(c.asked_by_member_id, 0),
                c.question,
                c.state,
                c.asked_at,
                c.sent_at,
                c.answer_by,
                c.answer,
                c.file_name if masked is None else None,
                c.file_sha256,
                c.file_size,
                c.answered_at,
            )
        )
    return out


async def for_committee(
    session: AsyncSession, actor: Actor, lot_id: int
) -> tuple[Seat, list[View]]:
    """The lot's clarifications for a seated member (after the declaration); on a masked 暗标
    lot by letter, without the answer file's name (it may name the company)."""
    s = await seat(session, actor, lot_id)
    if s.sheet is None:
        return s, []
    rows = list(
        await session.scalars(
            select(Clarification).where(Clarification.lot_id == lot_id).order_by(Clarification.id)
        )
    )
    masked = (
        await anonymity.labels(session, lot_id)
        if s.lot.anonymous_technical and s.final is None
        else None
    )
    return s, await _views(session, s.lot, rows, masked=masked)


async def answer_file(
    session: AsyncSession, actor: Actor, lot_id: int, clarification_id: int
) -> tuple[str, str]:
    """(sha256, download name) of an answer's file, for a seated member who has declared; on a
    masked 暗标 lot the name is replaced by the letter's."""
    _, views = await for_committee(session, actor, lot_id)
    view = next((v for v in views if v.id == clarification_id and v.file_sha256), None)
    if view is None or view.file_sha256 is None:
        raise NotFound("无此附件 / no such file")
    c = await session.get(Clarification, clarification_id)
    assert c is not None
    if view.file_name is None:  # masked: the letter's name, the original's extension only
        stem, dot, ext = (c.file_name or "").rpartition(".")
        ext = ext[:10] if dot and stem and ext.isalnum() else ""
        return view.file_sha256, f"clarification-{view.bid_key}-{c.id}" + (f".{ext}" if ext else "")
    return view.file_sha256, view.file_name


async def for_bidder(session: AsyncSession, actor: Actor) -> list[View]:
    """The caller's company's clarifications once sent, newest first; the asking member is a
    position of the committee (experts stay unnamed to bidders)."""
    if actor.org_id is None:
        return []
    rows = list(
        await session.scalars(
            select(Clarification)
            .where(
                Clarification.bidder_org_id == actor.org_id,
                Clarification.state.in_([St.SENT, St.ANSWERED]),
            )
            .order_by(Clarification.id.desc())
        )
    )
    out: list[View] = []
    for lot_id in dict.fromkeys(c.lot_id for c in rows):
        lot = await get_lot(session, lot_id, actor)
        out += await _views(session, lot, [c for c in rows if c.lot_id == lot_id], masked=None)
    return sorted(out, key=lambda v: v.id, reverse=True)


async def open_count(session: AsyncSession, actor: Actor, now: datetime) -> int:
    """How many of the company's clarifications await an answer (for a link's badge)."""
    views = await for_bidder(session, actor)
    return sum(1 for v in views if v.open and v.answer_by is not None and v.answer_by > now)


async def clarifications_for(session: AsyncSession, lot_id: int) -> list[dict[str, Any]]:
    """Every clarification of the lot that was sent, as plain data for the evaluation report
    (no access check: the caller decides who reads the report)."""
    rows = list(
        await session.scalars(
            select(Clarification)
            .where(Clarification.lot_id == lot_id, Clarification.state != St.PROPOSED)
            .order_by(Clarification.id)
        )
    )
    if not rows:
        return []
    names = {b.bid_id: (b.name, b.uscc) for b in await opening_bidders(session, lot_id)}
    letters = await anonymity.labels(session, lot_id)
    positions = dict(
        (
            await session.execute(
                select(CommitteeMember.id, CommitteeMember.position).where(
                    CommitteeMember.id.in_({c.asked_by_member_id for c in rows})
                )
            )
        ).all()
    )
    return [
        {
            "id": c.id,
            "bid_id": c.bid_id,
            "bidder": names.get(c.bid_id, ("", ""))[0],
            "uscc": names.get(c.bid_id, ("", ""))[1],
            "letter": letters.get(c.bid_id),
            "asked_by_position": positions.get(c.asked_by_member_id),
            "question": c.question,
            "asked_at": c.asked_at.isoformat(),
            "sent_at": c.sent_at.isoformat() if c.sent_at else None,
            "answer_by": c.answer_by.isoformat() if c.answer_by else None,
            "state": c.state,
            "answer": c.answer,
            "file_name": c.file_name,
            "file_sha256": c.file_sha256,
            "file_size": c.file_size,
            "answered_at": c.answered_at.isoformat() if c.answered_at else None,
            "citation": CITATION,
        }
        for c in rows
    ]
