"""The evaluation report's JSON API: read it (a seated member, or the lot desk's staff and
supervisors), sign it (a seated member, with a dissenting opinion), open a re-evaluation
(the chair or the lot's center's staff, 87号令 第64条 cases only). Usable by a script: the
signature is a field of the body."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.report import reevaluation, service
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.bodies import JsonBody
from trading.kernel.clock import Clock
from trading.kernel.web import requires


class SignIn(JsonBody, forbid_unknown_fields=True):
    """Ed25519 signature (base64url) over the canonical JSON of the signing statement:
    {"type": "bidhall-evaluation-report-signature", "v": 1, "lot_id", "version",
    "report_sha256", "position", "dissent"} (`statement` in the report, dissent filled in)."""

    version: int
    signature: Annotated[str, msgspec.Meta(max_length=128)]
    dissent: Annotated[str, msgspec.Meta(max_length=service.MAX_DISSENT)] = ""


class ReEvaluationIn(JsonBody, forbid_unknown_fields=True):
    """`case`: sum_error | out_of_range | objective_inconsistent | extreme (87号令 第64条)."""

    case: Annotated[str, msgspec.Meta(max_length=32)]
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=reevaluation.MAX_REASON)]


class SignatureOut(msgspec.Struct):
    position: int
    name: str
    signed: bool
    dissent: str
    signature: str
    key_id: str
    sign_pub_sha256: str
    signed_at: datetime | None


class VersionOut(msgspec.Struct):
    version: int
    sha256: str
    created_at: datetime
    superseded_at: datetime | None


class ReportOut(msgspec.Struct):
    lot_id: int
    version: int
    sha256: str  # SHA-256 of the canonical JSON of `document`
    current: bool
    complete: bool  # every seated member signed
    re_evaluation_open: bool
    document: dict[str, Any]
    signatures: list[SignatureOut]
    versions: list[VersionOut]
    statement: dict[str, Any] | None  # a member's: what they sign (put their dissent in)


class ReEvaluationOut(msgspec.Struct):
    lot_id: int
    number: int
    case: str
    citation: str
    reason: str
    opened_at: datetime


def report_out(view: service.ReportView, position: int | None = None) -> ReportOut:
    return ReportOut(
        lot_id=view.lot.id,
        version=view.report.version,
        sha256=view.report.sha256,
        current=view.current,
        complete=view.complete,
        re_evaluation_open=view.reopened is not None,
        document=view.report.document,
        signatures=[SignatureOut(**asdict(r)) for r in view.signatures],
        versions=[
            VersionOut(r.version, r.sha256, r.created_at, r.superseded_at) for r in view.versions
        ],
        statement=None if position is None else service.statement_for(view, position),
    )


VERSION = Parameter(query="version", required=False, ge=1, le=999_999)


@get(
    "/api/v1/lots/{lot_id:int}/evaluation/report",
    tags=["evaluation"],
    guards=[requires(Role.EVALUATOR, Role.STAFF, Role.SUPERVISOR)],
)
async def read_report(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    version: Annotated[int | None, VERSION] = None,
) -> ReportOut:
    """The report (latest version, or `version`): for a seated member of the committee, or the
    lot desk (the lot's center's staff, supervisors above). Older versions stay readable."""
    try:
        view, seat = await service.member_view(db_session, request.user, lot_id, version)
        return report_out(view, seat.member.position)
    except service.NOT_A_MEMBER:
        view, _ = await service.desk_view(db_session, request.user, lot_id, version)
        return report_out(view)


@post(
    "/api/v1/expert/lots/{lot_id:int}/report/signatures",
    tags=["evaluation"],
    guards=[requires(Role.EVALUATOR)],
    status_code=200,
)
async def sign_report(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: SignIn,
    clock: Clock,
) -> ReportOut:
    """Sign the current version (409 if superseded, already signed or re-evaluating; 422 if
    the signature does not verify against the caller's registered key)."""
    await service.sign(
        db_session, request.user, lot_id, data.version, data.signature, data.dissent,
        now=clock.now(),
    )  # fmt: skip
    view, seat = await service.member_view(db_session, request.user, lot_id)
    return report_out(view, seat.member.position)


@post(
    "/api/v1/lots/{lot_id:int}/evaluation/re-evaluations",
    tags=["evaluation"],
    guards=[requires(Role.EVALUATOR, Role.STAFF)],
    status_code=201,
)
async def open_re_evaluation(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    data: ReEvaluationIn,
    clock: Clock,
) -> ReEvaluationOut:
    """Open a recorded re-evaluation of a finalised evaluation: the chair or the lot's center's
    staff, one of the cases of 政府采购货物和服务招标投标管理办法（财政部令第87号）第六十四条,
    before the candidates' publicity. The members' sheets return to draft."""
    row = await reevaluation.open_re_evaluation(
        db_session, request.user, lot_id, data.case, data.reason, now=clock.now()
    )
    return ReEvaluationOut(
        lot_id, row.number, row.case, reevaluation.CITATION, row.reason, row.opened_at
    )


ROUTES = [read_report, sign_report, open_re_evaluation]
