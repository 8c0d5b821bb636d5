"""The evaluation report (评标报告): built when the chair finalises, signed by every seated member.

One entry point per use case: `finalise` (the chair; also closes a re-evaluation),
`sign` (a member, with an optional dissenting opinion), `report_view` (members and the lot
desk), `report_document` (the JSON route). The document is JSON-safe (amounts and scores as
strings) so its canonical JSON (crypto/canonical.py) is what gets hashed and signed; each
member signs `signed.report_statement` (the report's SHA-256, version, seat, dissent), which the
browser rebuilds from the document it shows.

The ranking inside is `evaluate_document` of the same input the award flow publishes
(`award.service.input_document` + `scoring.committee_input`): `input_sha256` lets anyone check
that the published evaluation document is the one the committee signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.queries import opened_bids
from crypto.canonical import canonical_json, sha256_hex
from crypto.encoding import b64u_decode
from crypto.keys import fingerprint, key_id
from evaluation.award import service as award
from evaluation.experts.models import Committee, CommitteeMember, Expert
from evaluation.offline import evaluate_document
from evaluation.report.models import EvaluationReport, ReportSignature
from evaluation.report.reevaluation import CASES, CITATION
from evaluation.scoring import service as scoring
from evaluation.scoring import signed, work
from evaluation.scoring.models import ReEvaluation, ScoringFinal
from trading.audit import service as audit
from trading.enums import LotState
from trading.kernel.actor import Actor
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from trading.parties.models import PartyKey
from trading.projects.desk import desk_lot
from trading.projects.models import Lot

REPORT_TYPE = "bidhall-evaluation-report"
MAX_DISSENT = 2000
CANDIDATE_KEYS = ("rank", "bid_id", "bidder", "price", "total", "technical_score",
                  "price_score", "evaluated_price")  # fmt: skip
# A caller who is no seated member of the lot's committee (then: the lot desk's rule).
NOT_A_MEMBER = (NotFound, Forbidden)
TOP = 3  # candidates named in the report (条例 54: no more than three)


# ---- building ----------------------------------------------------------------------------------


async def build_document(
    session: AsyncSession,
    s: scoring.Seat,
    *,
    version: int,
    finalised_at: datetime,
    re_evaluation: ReEvaluation | None,
) -> dict[str, Any]:
    """The report's content from the committee's sheets (inside the finalising transaction)."""
    lot, seated = s.lot, s.seated
    sheets = await scoring.sheets_of(session, s.committee.id)
    experts = {
        e.id: e
        for e in await session.scalars(
            select(Expert).where(Expert.id.in_([m.expert_id for m in seated]))
        )
    }
    doc_in = await scoring.committee_input(session, lot, await award.input_document(session, lot))
    ranking = evaluate_document(doc_in)
    bids = await opened_bids(session, lot.id)
    criteria = scoring.criteria_of(lot)
    flags = scoring.flags_of(s, sheets, bids, criteria)
    ranked = [b for b in ranking["bids"] if not b["excluded"]]
    rejected = [b for b in ranking["bids"] if b["excluded"]]
    return {
        "type": REPORT_TYPE,
        "v": 1,
        "version": version,
        "lot": {
            "id": lot.id,
            "project": lot.project.title,
            "title": lot.title,
            "center": lot.project.center.name,
        },
        "method": doc_in["method"],
        "params": doc_in["params"],
        "input_sha256": sha256_hex(canonical_json(doc_in)),
        "committee": [
            {
                "position": m.position,
                "code": experts[m.expert_id].code,
                "name": experts[m.expert_id].name,
                "chair": i == 0,
            }
            for i, m in enumerate(seated)
        ],
        "criteria": doc_in["criteria"],
        "bids": [
            {
                "bid_id": str(b.bid_id),
                "bidder": b.bidder,
                "price": format(b.price, "f"),
                "qualification": [
                    {"position": m.position, **sheets[m.id].qualification[str(b.bid_id)]}
                    for m in seated
                ],
                "scores": {
                    c.id: [
                        {"position": m.position, **sheets[m.id].scores[str(b.bid_id)][c.id]}
                        for m in seated
                    ]
                    for c in criteria
                },
            }
            for b in bids
        ],
        "candidates": [{k: b.get(k) for k in CANDIDATE_KEYS} for b in ranked[:TOP]],
        "rejected": [
            {"bid_id": b["bid_id"], "bidder": b["bidder"], "reasons": b["reasons"]}
            for b in rejected
        ],
        "ranking": ranking,
        "deviations": [
            {
                "bid_id": f.bid_id,
                "criterion_id": f.criterion_id,
                "position": seated[f.expert_index].position,
                "score": format(f.score, "f"),
                "mean": format(f.mean, "f"),
                "reason": sheets[seated[f.expert_index].id].deviation_reasons.get(
                    f"{f.bid_id}/{f.criterion_id}", ""
                ),
            }
            for f in flags
        ],
        "finalised_at": finalised_at.isoformat(),
        "re_evaluation": None
        if re_evaluation is None
        else {
            "number": re_evaluation.number,
            "case": re_evaluation.case,
            "case_text": CASES[re_evaluation.case][0],
            "citation": CITATION,
            "reason": re_evaluation.reason,
            "opened_at": re_evaluation.opened_at.isoformat(),
        },
    }


async def latest_report(session: AsyncSession, lot_id: int) -> EvaluationReport | None:
    return await session.scalar(
        select(EvaluationReport)
        .where(EvaluationReport.lot_id == lot_id)
        .order_by(EvaluationReport.version.desc())
        .limit(1)
    )


async def finalise(
    session: AsyncSession, actor: Actor, lot_id: int, *, now: datetime, settings: Settings
) -> EvaluationReport:
    """The chair finalises (or closes a re-evaluation): the report's next version is built in
    the same transaction, the previous one superseded (kept, readable). After a re-evaluation
    on a lot already ranked, the ranking is recomputed from the corrected scores."""
    async with writing(session):
        s = await work.close(session, actor, lot_id, now=now)
        reopened = s.reopened
        prior = await latest_report(session, lot_id)
        version = prior.version + 1 if prior else 1
        document = await build_document(
            session, s, version=version, finalised_at=now, re_evaluation=reopened
        )
        digest = sha256_hex(canonical_json(document))
        if prior is not None:
            prior.superseded_at = now
        report = EvaluationReport(
            lot_id=lot_id, committee_id=s.committee.id, version=version, document=document,
            sha256=digest, created_at=now,
        )  # fmt: skip
        session.add(report)
        await session.flush()  # the unique (lot, version): a racing second finalise fails here
        await audit.append(
            session, s.audit_actor, "evaluation.report", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id,
            detail={"version": version, "sha256": digest,
                    "re_evaluation": reopened.number if reopened else None},
        )  # fmt: skip
        if s.lot.state == LotState.EVALUATED:
            await award.rerank(session, s.lot, actor, now=now, settings=settings)
    return report


# ---- signing -----------------------------------------------------------------------------------


async def sign(
    session: AsyncSession, actor: Actor, lot_id: int, version: int, signature: str,
    dissent: str = "", *, now: datetime,
) -> ReportSignature:  # fmt: skip
    """A seated member signs the current version of the report, with their dissenting opinion
    (if any, exactly as given: the signature covers it) inside what they sign. Once per member
    and version (a second is a 409; the unique constraint settles a race)."""
    async with writing(session):
        s = await scoring.seat(session, actor, lot_id)
        report = await latest_report(session, lot_id)
        if report is None or report.version != version:
            raise Conflict(
                "该版本评标报告不存在或已被新版本取代 / that report version does not exist or is"
                " superseded"
            )
        if s.reopened is not None:
            raise Conflict("重新评审进行中 / a re-evaluation is in progress")
        if len(dissent) > MAX_DISSENT:
            raise ValidationFailed(f"dissent: 不超过 {MAX_DISSENT} 字 / at most {MAX_DISSENT}")
        already = await session.scalar(
            select(ReportSignature.id).where(
                ReportSignature.report_id == report.id, ReportSignature.member_id == s.member.id
            )
        )
        if already is not None:
            raise Conflict("您已签署该版本 / you signed this version already")
        statement = signed.report_statement(
            lot_id, report.version, report.sha256, s.member.position, dissent
        )
        assert actor.user_id is not None
        key = await signed.verify_member(session, actor.user_id, statement, signature)
        done = ReportSignature(
            report_id=report.id, member_id=s.member.id, party_key_id=key.id, dissent=dissent,
            signature=signature, signed_at=now,
        )  # fmt: skip
        session.add(done)
        await session.flush()  # unique (report, member): signed once
        await audit.append(
            session, s.audit_actor, "evaluation.report_signed", "lot", lot_id, at=now,
            center_id=s.lot.project.center_id,
            detail={"version": version, "position": s.member.position, "sha256": report.sha256,
                    "signature": signature, "sign_pub": key.sign_pub, "dissent": dissent},
        )  # fmt: skip
    return done


# ---- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRow:
    position: int
    name: str
    signed: bool
    dissent: str = ""
    signature: str = ""
    key_id: str = ""
    sign_pub_sha256: str = ""
    signed_at: datetime | None = None


@dataclass
class ReportView:
    lot: Lot
    report: EvaluationReport
    versions: list[EvaluationReport]  # every version, newest first
    signatures: list[SignatureRow] = field(default_factory=list)
    statements: dict[int, dict[str, Any]] = field(default_factory=dict)  # position → to sign
    reopened: ReEvaluation | None = None

    @property
    def complete(self) -> bool:
        return all(r.signed for r in self.signatures)

    @property
    def current(self) -> bool:
        return self.report.superseded_at is None


async def _committee(session: AsyncSession, lot_id: int) -> tuple[Committee, list[CommitteeMember]]:
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot_id))
    if committee is None:
        raise NotFound("评标报告不存在 / no evaluation report")
    members = list(
        await session.scalars(
            select(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
        )
    )
    return committee, scoring.seated_of(members)


async def _view(session: AsyncSession, lot: Lot, version: int | None) -> ReportView:
    versions = list(
        await session.scalars(
            select(EvaluationReport)
            .where(EvaluationReport.lot_id == lot.id)
            .order_by(EvaluationReport.version.desc())
        )
    )
    chosen = next((r for r in versions if version is None or r.version == version), None)
    if chosen is None:
        raise NotFound("评标报告不存在 / no such evaluation report")
    committee, seated = await _committee(session, lot.id)
    rows = await session.execute(
        select(ReportSignature, PartyKey)
        .join(PartyKey, PartyKey.id == ReportSignature.party_key_id)
        .where(ReportSignature.report_id == chosen.id)
    )
    by_member = {sig.member_id: (sig, key) for sig, key in rows.all()}
    names = {c["position"]: c["name"] for c in chosen.document["committee"]}
    view = ReportView(lot, chosen, versions)
    view.reopened = await scoring.open_re_evaluation(session, committee.id)
    for m in seated:
        found = by_member.get(m.id)
        if found is None:
            view.signatures.append(SignatureRow(m.position, names.get(m.position, ""), False))
            continue
        sig, key = found
        pub = b64u_decode(key.sign_pub)
        view.signatures.append(
            SignatureRow(
                m.position, names.get(m.position, ""), True, sig.dissent, sig.signature,
                key_id(pub), fingerprint(pub), sig.signed_at,
            )
        )  # fmt: skip
    return view


async def member_view(
    session: AsyncSession, actor: Actor, lot_id: int, version: int | None = None
) -> tuple[ReportView, scoring.Seat]:
    """A seated member's view of the report (404 for anyone else, as the desk)."""
    s = await scoring.seat(session, actor, lot_id)
    view = await _view(session, s.lot, version)
    return view, s


async def desk_view(
    session: AsyncSession, actor: Actor, lot_id: int, version: int | None = None
) -> tuple[ReportView, bool]:
    """The lot desk's view (the lot's center's staff act; supervisors above read)."""
    lot, can_act = await desk_lot(session, lot_id, actor)
    return await _view(session, lot, version), can_act


def statement_for(view: ReportView, position: int, dissent: str = "") -> dict[str, Any]:
    """What the member at `position` signs for this view's version."""
    r = view.report
    return signed.report_statement(r.lot_id, r.version, r.sha256, position, dissent)


async def finalised(session: AsyncSession, lot_id: int) -> bool:
    committee = await session.scalar(select(Committee).where(Committee.lot_id == lot_id))
    return committee is not None and await session.get(ScoringFinal, committee.id) is not None


async def published_committee(
    session: AsyncSession, lot_id: int, *, named: bool
) -> list[dict[str, Any]]:
    """The seats of the published evaluation document, in the order of its per-expert score
    lists: positions only, or with each expert's code and name once `named` (the result is
    published). Empty for a lot ranked without a committee."""
    report = await latest_report(session, lot_id)
    if report is None:
        return []
    keys = ("position", "code", "name", "chair") if named else ("position",)
    return [{k: c[k] for k in keys} for c in report.document["committee"]]
