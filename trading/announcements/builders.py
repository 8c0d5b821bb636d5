"""Every announcement kind, built from the lot's data through its template.

One function per transition the law makes public; each is called inside the transition's
write transaction, so the announcement lands (published, audited) with the move it records or
not at all. The rendered document is kept on the row: a record of what was published, not a
view of today's data. Citations come from the lot's ruleset where it has the rule, else from
`CITATIONS` below (construction law for works, other and land/property; the government
procurement texts for procurement).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.canonical import canonical_json
from trading.announcements.models import Announcement, AnnouncementKind, AnnouncementState
from trading.announcements.service import publish_in
from trading.audit import service as audit
from trading.centers.models import Center
from trading.enums import Category
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.parties.models import Organization
from trading.projects.models import Document, Lot, Project
from trading.rules.base import Ruleset

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

TITLES: dict[AnnouncementKind, str] = {
    AnnouncementKind.TENDER: "招标公告",
    AnnouncementKind.AMENDMENT: "变更/澄清公告",
    AnnouncementKind.CANDIDATES: "中标候选人公示",
    AnnouncementKind.RESULT: "中标结果公告",
    AnnouncementKind.FAILURE: "流标公告",
    AnnouncementKind.TERMINATION: "终止公告",
}

# (what, family) → citation, where the ruleset has no rule that says it. "law": 招标投标法 and
# its regulation; "gp": government procurement.
CITATIONS: dict[tuple[str, str], str] = {
    ("tender", "law"): "招标投标法 第16条；招标投标法实施条例 第15条",
    ("tender", "gp"): "财政部令第87号 第13条",
    ("amendment", "law"): "招标投标法 第23条；招标投标法实施条例 第21条",
    ("amendment", "gp"): "政府采购法实施条例 第31条；财政部令第87号 第27条",
    ("too_few_valid", "law"): "招标投标法 第42条；招标投标法实施条例 第51条",
    ("too_few_valid", "gp"): "政府采购法 第36条",
    ("result", "law"): "招标投标法 第45条",
    ("result", "gp"): "政府采购法实施条例 第43条",
    ("termination", "law"): "招标投标法实施条例 第31条",
    ("termination", "gp"): "财政部令第87号 第29条",
}
MIN_BIDDERS = 3  # when a ruleset has no min_bidders rule (RULES.md: 法 28, 条例 44)


def family(project: Project) -> str:
    return "gp" if project.category == Category.PROCUREMENT else "law"


def citation_for(what: str, project: Project, ruleset: Ruleset | None, rule_id: str = "") -> str:
    rule = ruleset.get(rule_id) if ruleset is not None and rule_id else None
    return rule.citation if rule is not None else CITATIONS.get((what, family(project)), "")


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def record_attachment(lot_id: int, signed_record: Mapping[str, Any]) -> dict[str, Any]:
    """The signed opening record as an attachment: the digest of its canonical JSON (what the
    record page and PDF show, and what anyone can recompute from the record's JSON)."""
    return {
        "name": "开标记录表",
        "sha256": digest(canonical_json(dict(signed_record))),
        "size": None,
        "href": f"/lots/{lot_id}/opening",
    }


def evaluation_attachment(lot_id: int, input_doc: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluation's published input: rerun `bidhall evaluate` on it to check the ranking."""
    return {
        "name": "评标输入数据（可离线复核）",
        "sha256": digest(canonical_json(dict(input_doc))),
        "size": None,
        "href": f"/api/v1/lots/{lot_id}/evaluation",
    }


# ---- rendering ---------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _at(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(kind: AnnouncementKind | str, facts: Mapping[str, Any]) -> str:
    """The announcement's document (an HTML fragment) from its facts, in the center's zone."""
    zone = ZoneInfo(facts["center"]["timezone"])
    template = _env().get_template(f"announcements/{AnnouncementKind(kind).value}.html")
    return template.render(
        f=facts,
        money=lambda v: present.yuan(_dec(v)),
        wan=lambda v: present.wan(_dec(v)),
        capital=lambda v: present.capital(_dec(v)) if _dec(v) is not None else present.DASH,
        local=lambda v, seconds=False: present.when(_at(v), zone, seconds=seconds),
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _org(org: Organization | None) -> dict[str, str] | None:
    return None if org is None else {"name": org.name, "uscc": org.uscc}


async def lot_facts(session: AsyncSession, lot: Lot) -> dict[str, Any]:
    """What every kind states about the project and the lot, JSON-safe (money and times as
    strings), so the record is self-contained."""
    project = await session.get(Project, lot.project_id)
    assert project is not None
    center = await session.get(Center, project.center_id)
    assert center is not None
    tenderer = await session.get(Organization, project.tenderer_org_id)
    agency = (
        await session.get(Organization, project.agency_org_id) if project.agency_org_id else None
    )
    return {
        "project": {
            "id": project.id,
            "code": project.code,
            "title": project.title,
            "category": str(project.category),
            "method": str(project.method),
            "region_code": project.region_code,
            "location": project.location,
            "qualification": project.qualification,
            "description": project.description,
            "contact_name": project.contact_name,
            "contact_phone": project.contact_phone,
            "sandbox": project.sandbox,
        },
        "center": {"code": center.code, "name": center.name, "timezone": center.timezone},
        "tenderer": _org(tenderer),
        "agency": _org(agency),
        "lot": {
            "id": lot.id,
            "number": lot.number,
            "title": lot.title,
            "budget": _money(lot.budget),
            "control_price": _money(lot.control_price),
            "bid_security": _money(lot.bid_security),
            "docs_issued_at": _iso(lot.docs_issued_at),
            "docs_available_until": _iso(lot.docs_available_until),
            "clarification_deadline": _iso(lot.clarification_deadline),
            "bid_deadline": _iso(lot.bid_deadline),
            "evaluation_method": lot.evaluation_method,
        },
    }


async def issue(
    session: AsyncSession,
    lot: Lot,
    kind: AnnouncementKind,
    actor: Actor,
    *,
    at: datetime,
    reason: str = "",
    citation: str = "",
    extra: Mapping[str, Any] | None = None,
    attachments: Sequence[Mapping[str, Any]] = (),
    ends_at: datetime | None = None,
    title: str | None = None,
    publish: bool = True,
) -> Announcement:
    """Render `kind` for `lot`, add it, and (by default) publish it — inside the caller's write
    transaction. The draft is flushed first so the publishing audit entry names its id."""
    facts = await lot_facts(session, lot)
    facts.update(
        {
            "kind": AnnouncementKind(kind).value,
            "kind_title": TITLES[AnnouncementKind(kind)],
            "reason": reason,
            "citation": citation,
            "at": at.isoformat(),
            "ends_at": _iso(ends_at),
            "attachments": [dict(a) for a in attachments],
            **(extra or {}),
        }
    )
    html = render(kind, facts)
    project, the_lot = facts["project"], facts["lot"]
    row = Announcement(
        project_id=lot.project_id,
        lot_id=lot.id,
        kind=AnnouncementKind(kind).value,
        title=title or f"{project['title']} {the_lot['title']} {TITLES[AnnouncementKind(kind)]}",
        body=reason,
        state=AnnouncementState.DRAFT.value,
        published_at=None,
        digests=[a["sha256"] for a in attachments if a.get("sha256")],
        created_at=at,
        html=html,
        sha256=digest(html),
        reason=reason,
        citation=citation,
        facts=facts,
        attachments=[dict(a) for a in attachments],
        ends_at=ends_at,
    )
    session.add(row)
    await session.flush()
    center_id = lot.center_id
    if publish:
        await publish_in(session, row, actor, now=at, center_id=center_id)
    else:
        await audit.append(
            session,
            actor,
            "announcement.draft",
            "announcement",
            row.id,
            at=at,
            center_id=center_id,
            detail={"kind": row.kind, "lot_id": lot.id, "sha256": row.sha256},
        )
    return row


# ---- one builder per transition ----------------------------------------------------------------


async def tender(
    session: AsyncSession, lot: Lot, actor: Actor, *, at: datetime, project: Project
) -> Announcement:
    """招标公告 at publishing: the lot's data, its documents by digest."""
    docs = await session.scalars(
        select(Document).where(Document.lot_id == lot.id).order_by(Document.id)
    )
    attachments = [
        {"name": d.name, "sha256": d.sha256, "size": d.size, "href": f"/api/v1/documents/{d.id}"}
        for d in docs
    ]
    return await issue(
        session,
        lot,
        AnnouncementKind.TENDER,
        actor,
        at=at,
        reason="",
        citation=citation_for("tender", project, None),
        attachments=attachments,
    )


async def amendment(
    session: AsyncSession,
    lot: Lot,
    actor: Actor,
    *,
    at: datetime,
    project: Project,
    ruleset: Ruleset | None,
    title: str,
    text: str,
    deadline_before: datetime,
    deadline_after: datetime,
) -> Announcement:
    """变更/澄清公告: the amendment's own text, and the new deadline when it moved."""
    moved = deadline_after != deadline_before
    reason = text
    return await issue(
        session,
        lot,
        AnnouncementKind.AMENDMENT,
        actor,
        at=at,
        reason=reason,
        citation=citation_for("amendment", project, ruleset, "clarification_days"),
        extra={
            "amendment": {
                "title": title,
                "text": text,
                "moved": moved,
                "deadline_before": deadline_before.isoformat(),
                "deadline_after": deadline_after.isoformat(),
            }
        },
        title=f"{project.title} {lot.title} 变更/澄清公告：{title}"[:300],
    )


def minimum(ruleset: Ruleset | None) -> int:
    rule = ruleset.get("min_bidders") if ruleset is not None else None
    return int(rule.value) if rule is not None else MIN_BIDDERS


def deadline_reason(project: Project, ruleset: Ruleset, bids: int) -> str:
    """Why a lot fails at its deadline: too few bids arrived; none is opened."""
    rule = ruleset.get("min_bidders")
    least = minimum(ruleset)
    who = "供应商" if family(project) == "gp" else "投标人"
    basis = rule.text_zh if rule is not None else f"{who}少于{least}个的，不得开标"
    return (
        f"截至投标截止时间，递交投标文件的{who}为{bids}个，{who}少于{least}个，"
        f"依法不予开标，本标段流标。依据：{basis}。"
    )


def evaluation_reason(ruleset: Ruleset, opened: int, rejected: int) -> str:
    """Why a lot fails at evaluation: the bids were opened, the committee's rejections left
    too few valid ones (a different fact, and law, from too few bids at the deadline)."""
    least = minimum(ruleset)
    return (
        f"本标段开标时共解密投标文件{opened}份；评标委员会依法否决{rejected}份投标后，"
        f"有效投标不足{least}个（{opened - rejected}个），投标明显缺乏竞争，"
        "评标委员会依法否决全部投标，本标段流标，招标人应当依法重新招标。"
    )


async def failure_at_deadline(
    session: AsyncSession,
    lot: Lot,
    actor: Actor,
    *,
    at: datetime,
    project: Project,
    ruleset: Ruleset,
    bids: int,
) -> Announcement:
    """流标公告 when fewer bids than the minimum arrived by the deadline: the bids are not
    opened (法 28, 条例 44; 87号令 43 in government procurement)."""
    rule = ruleset.get("min_bidders")
    return await issue(
        session,
        lot,
        AnnouncementKind.FAILURE,
        actor,
        at=at,
        reason=deadline_reason(project, ruleset, bids),
        citation=rule.citation if rule is not None else "",
        extra={"failure": {"stage": "deadline", "bids": bids, "minimum": minimum(ruleset)}},
    )


async def failure_after_evaluation(
    session: AsyncSession,
    lot: Lot,
    actor: Actor,
    *,
    at: datetime,
    project: Project,
    ruleset: Ruleset,
    opened: int,
    rejected: Sequence[Mapping[str, Any]],
    attachments: Sequence[Mapping[str, Any]] = (),
) -> Announcement:
    """流标公告 when the committee's rejections leave fewer valid bids than the minimum: the
    bids were opened; the remaining ones lack competition and are all rejected (法 42)."""
    return await issue(
        session,
        lot,
        AnnouncementKind.FAILURE,
        actor,
        at=at,
        reason=evaluation_reason(ruleset, opened, len(rejected)),
        citation=citation_for("too_few_valid", project, None),
        extra={
            "failure": {
                "stage": "evaluation",
                "opened": opened,
                "valid": opened - len(rejected),
                "minimum": minimum(ruleset),
                "rejected": [dict(r) for r in rejected],
            }
        },
        attachments=attachments,
    )


async def candidates(
    session: AsyncSession,
    lot: Lot,
    actor: Actor,
    *,
    at: datetime,
    project: Project,
    ruleset: Ruleset | None,
    ranked: Sequence[Mapping[str, Any]],
    ends_at: datetime,
    attachments: Sequence[Mapping[str, Any]] = (),
) -> Announcement:
    """中标候选人公示: the ranked candidates and the end of the publicity (条例 54: ≥ 3 days)."""
    rule = ruleset.get("publicity_days") if ruleset is not None else None
    days = int(rule.value) if rule is not None else None
    center = await session.get(Center, lot.center_id)
    zone = center.timezone if center is not None else "Asia/Shanghai"
    listed = "；".join(
        f"第{c['rank']}名 {c['bidder']}（投标报价{present.yuan(_dec(c['price']))}元）"
        for c in ranked
    )
    reason = f"中标候选人：{listed}。公示期至{present.when(ends_at, zone)}" + (
        f"（不少于{days}日）。" if days else "。"
    )
    return await issue(
        session,
        lot,
        AnnouncementKind.CANDIDATES,
        actor,
        at=at,
        reason=reason,
        citation=rule.citation if rule is not None else "",
        extra={
            "candidates": [
                {"rank": c["rank"], "bidder": c["bidder"], "price": str(c["price"])} for c in ranked
            ],
            "publicity_days": days,
        },
        ends_at=ends_at,
        attachments=attachments,
    )


async def result(
    session: AsyncSession,
    lot: Lot,
    actor: Actor,
    *,
    at: datetime,
    project: Project,
    ruleset: Ruleset | None,
    winner: str,
    price: Decimal,
    attachments: Sequence[Mapping[str, Any]] = (),
) -> Announcement:
    """中标结果公告: the winner and the award price; the contract within 30 days (法 46)."""
    contract = ruleset.get("contract_days") if ruleset is not None else None
    return await issue(
        session,
        lot,
        AnnouncementKind.RESULT,
        actor,
        at=at,
        reason=f"中标人：{winner}；中标价：{present.yuan(price)}元。",
        citation=citation_for("result", project, None),
        extra={
            "award": {
                "winner": winner,
                "price": str(price),
                "contract_days": int(contract.value) if contract is not None else None,
                "contract_citation": contract.citation if contract is not None else "",
            }
        },
        attachments=attachments,
    )


async def termination(
    session: AsyncSession, lot: Lot, actor: Actor, *, at: datetime, project: Project, reason: str
) -> Announcement:
    """终止公告 when the tender is cancelled: the reason the tenderer/center gave."""
    return await issue(
        session,
        lot,
        AnnouncementKind.TERMINATION,
        actor,
        at=at,
        reason=reason,
        citation=citation_for("termination", project, None),
        extra={"termination": {"reason": reason}},
    )
