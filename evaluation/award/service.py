"""From an opened lot to an award: ranking by the lot's method, candidates publicity, award."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import opened_bids, opening_bidders, opening_record
from crypto.canonical import canonical_json, sha256_hex
from evaluation.award.models import EvaluationResult
from evaluation.methods.ties import SEED_FROM, SEED_LABEL, seed_from_record
from evaluation.offline import evaluate_document
from evaluation.scoring.service import committee_input, refuse_while_re_evaluating
from trading.announcements import builders as announcements
from trading.announcements.letters import Addressee, issue_letters
from trading.audit import service as audit
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound
from trading.projects import lifecycle
from trading.projects.models import Lot
from trading.projects.publishing import effective_ruleset
from trading.projects.service import get_lot, manages
from trading.reports.savings import savings
from trading.rules.engine import check_bid_count


async def _managed_lot(session: AsyncSession, lot_id: int, actor: Actor) -> Lot:
    lot = await get_lot(session, lot_id, actor)
    if not (manages(actor, lot.project) or actor.has("system")):
        raise Forbidden("无权操作该标段 / you may not act on this lot")
    return lot


async def input_document(session: AsyncSession, lot: Lot) -> dict[str, Any]:
    """The published, offline-evaluable input: anyone can rerun `bidhall evaluate` on it."""
    bids = await opened_bids(session, lot.id)
    # The tie-break seed is nobody's choice: derived from the signed opening record (fixed
    # after the deadline, held by every bidder) and published with how, so anyone recomputes it.
    record = await opening_record(session, lot.id)
    if record is None:
        raise Conflict(f"开标记录缺失 / lot {lot.id} has no signed opening record")
    params: dict[str, Any] = {**lot.evaluation_params, "seed": seed_from_record(record)}
    if lot.control_price is not None:
        params.setdefault("control_price", str(lot.control_price))
    return {
        "method": lot.evaluation_method,
        "params": params,
        "seed_from": {
            "formula": SEED_FROM,
            "label": SEED_LABEL,
            "opening_record_sha256": sha256_hex(canonical_json(record)),
        },
        "criteria": [],
        "bids": [
            {"bid_id": str(b.bid_id), "bidder": b.bidder, "price": str(b.price), "sme": b.sme}
            for b in bids
        ],
    }


async def evaluate_lot(
    session: AsyncSession, lot_id: int, actor: Actor, *, now: datetime, settings: Settings
) -> LotState:
    lot = await _managed_lot(session, lot_id, actor)
    if lot.state != LotState.OPENED:
        if lot.state in (LotState.EVALUATED, LotState.PUBLICITY, LotState.AWARDED, LotState.FAILED):
            return LotState(lot.state)
        raise Conflict(f"标段尚未开标 / lot {lot.id} is {lot.state}, not opened")
    async with writing(session):
        return await _rank(session, lot, actor, now=now, settings=settings)


async def rerank(
    session: AsyncSession, lot: Lot, actor: Actor, *, now: datetime, settings: Settings
) -> LotState:
    """A ranked (evaluated) lot ranked again from its committee's corrected scores after a
    re-evaluation, inside the caller's transaction (evaluation/report/service.finalise)."""
    if lot.state != LotState.EVALUATED:
        raise Conflict(f"标段状态为 {lot.state} / lot {lot.id} is {lot.state}, not evaluated")
    return await _rank(session, lot, actor, now=now, settings=settings)


async def _rank(
    session: AsyncSession, lot: Lot, actor: Actor, *, now: datetime, settings: Settings
) -> LotState:
    # With a finalised committee evaluation: its qualification results and per-expert scores.
    doc = await committee_input(session, lot, await input_document(session, lot))
    ranking = evaluate_document(doc)
    valid = [b for b in ranking["bids"] if not b["excluded"]]
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    too_few = check_bid_count(len(valid), ruleset)
    session.add(
        EvaluationResult(
            lot_id=lot.id, method=doc["method"], input_doc=doc, ranking=ranking, created_at=now
        )
    )
    if too_few is not None:
        # Not the deadline's "too few bids": these were opened; rejections left too few valid.
        rejected = [
            {"bidder": b["bidder"], "reasons": b["reasons"]}
            for b in ranking["bids"]
            if b["excluded"]
        ]
        opened = len(ranking["bids"])
        reason = announcements.evaluation_reason(ruleset, opened, len(rejected))
        await lifecycle.move(
            session,
            lot,
            LotState.FAILED,
            actor,
            now=now,
            action="evaluation.failed",
            center_id=lot.project.center_id,
            detail={"rule": str(too_few), "valid": len(valid), "opened": opened},
            values={"failure_reason": reason},
        )
        await announcements.failure_after_evaluation(
            session,
            lot,
            actor,
            at=now,
            project=lot.project,
            ruleset=ruleset,
            opened=opened,
            rejected=rejected,
            attachments=await _evidence(session, lot.id, doc),
        )
        return LotState.FAILED
    detail = {"method": doc["method"], "ranking": [b["bid_id"] for b in valid]}
    if lot.state == LotState.EVALUATED:  # ranked again after a re-evaluation
        await audit.append(
            session, actor, "evaluation.reranked", "lot", lot.id, at=now,
            center_id=lot.project.center_id, detail=detail,
        )  # fmt: skip
        return LotState.EVALUATED
    await lifecycle.move(
        session,
        lot,
        LotState.EVALUATED,
        actor,
        now=now,
        action="evaluation.ranked",
        center_id=lot.project.center_id,
        detail=detail,
    )
    return LotState.EVALUATED


async def _evidence(
    session: AsyncSession, lot_id: int, input_doc: dict[str, Any]
) -> list[dict[str, Any]]:
    """What an evaluation's announcements cite by digest: the signed opening record and the
    published evaluation input (anyone can rerun the ranking on it)."""
    record = await opening_record(session, lot_id)
    found = [announcements.record_attachment(lot_id, record)] if record else []
    return [*found, announcements.evaluation_attachment(lot_id, input_doc)]


async def latest_result(session: AsyncSession, lot_id: int) -> EvaluationResult | None:
    return await session.scalar(
        select(EvaluationResult)
        .where(EvaluationResult.lot_id == lot_id)
        .order_by(EvaluationResult.id.desc())
        .limit(1)
    )


async def publish_candidates(
    session: AsyncSession, lot_id: int, actor: Actor, *, now: datetime, settings: Settings
) -> LotState:
    lot = await _managed_lot(session, lot_id, actor)
    if lot.state != LotState.EVALUATED:
        if lot.state in (LotState.PUBLICITY, LotState.AWARDED):
            return LotState(lot.state)
        raise Conflict(f"标段尚未评标 / lot {lot.id} is {lot.state}, not evaluated")
    result = await latest_result(session, lot.id)
    assert result is not None
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    rule = ruleset.get("max_candidates")
    top = int(rule.value) if rule is not None else 3
    candidates = [b for b in result.ranking["bids"] if not b["excluded"]][:top]
    async with writing(session):
        await lifecycle.move(
            session,
            lot,
            LotState.PUBLICITY,
            actor,
            now=now,
            action="publicity.start",
            center_id=lot.project.center_id,
            detail={"candidates": [b["bid_id"] for b in candidates]},
        )
        await refuse_while_re_evaluating(session, lot.id)
        await announcements.candidates(
            session,
            lot,
            actor,
            at=now,
            project=lot.project,
            ruleset=ruleset,
            ranked=candidates,
            ends_at=publicity_ends(lot, settings),  # the lot entered publicity just now
            attachments=await _evidence(session, lot.id, result.input_doc),
        )
    return LotState.PUBLICITY


def publicity_ends(lot: Lot, settings: Settings) -> datetime:
    ruleset = effective_ruleset(lot.project, lot.project.center, settings)
    rule = ruleset.get("publicity_days")
    days = int(rule.value) if rule is not None else 0
    return lot.state_changed_at + timedelta(days=days) / max(lot.project.accelerator, 1)


async def award_lot(
    session: AsyncSession, lot_id: int, actor: Actor, *, now: datetime, settings: Settings
) -> LotState:
    """Award to the first-ranked candidate (条例 55) once the publicity period has run."""
    lot = await _managed_lot(session, lot_id, actor)
    if lot.state == LotState.AWARDED:
        return LotState.AWARDED
    if lot.state != LotState.PUBLICITY:
        raise Conflict(f"标段未在公示期 / lot {lot.id} is {lot.state}, not in publicity")
    ends = publicity_ends(lot, settings)
    if now < ends:
        raise Conflict(
            f"公示期至 {ends.isoformat()} 结束 / publicity runs until {ends.isoformat()}"
        )
    result = await latest_result(session, lot.id)
    if result is None:
        raise NotFound("评标结果缺失 / evaluation result missing")
    winner = next(b for b in result.ranking["bids"] if not b["excluded"])
    price = Decimal(winner["price"])
    async with writing(session):
        await lifecycle.move(
            session,
            lot,
            LotState.AWARDED,
            actor,
            now=now,
            action="lot.award",
            center_id=lot.project.center_id,
            detail={
                "bid_id": winner["bid_id"],
                "price": winner["price"],
                "savings": str(savings(lot.reference_price, price)),
            },
            values={"award_bid_id": int(winner["bid_id"]), "award_price": price, "awarded_at": now},
        )
        announcement = await announcements.result(
            session,
            lot,
            actor,
            at=now,
            project=lot.project,
            ruleset=effective_ruleset(lot.project, lot.project.center, settings),
            winner=winner["bidder"],
            price=price,
            attachments=await _evidence(session, lot.id, result.input_doc),
        )
        # 中标通知书 to the winner, 中标结果通知书 to every other bidder of the opening (法 45).
        bidders = await opening_bidders(session, lot.id)
        won = next(b for b in bidders if b.bid_id == int(winner["bid_id"]))
        await issue_letters(
            session,
            announcement,
            actor,
            at=now,
            winner=Addressee(won.org_id, won.name, won.uscc),
            others=list(
                {
                    b.org_id: Addressee(b.org_id, b.name, b.uscc)
                    for b in bidders
                    if b.org_id != won.org_id
                }.values()
            ),
            price=price,
            publicity_ends=ends,
        )
    return LotState.AWARDED
