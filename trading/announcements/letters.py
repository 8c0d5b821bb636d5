"""Award letters: 中标通知书 to the winner, 中标结果通知书 to every other bidder (法 45).

Issued in the award's write transaction, one per bidder of the opening, each a record of the
facts it states and the SHA-256 of its PDF. The PDF renders deterministically from the facts
(reportlab's invariant mode: no creation date, fixed document id), so the digest recorded at
the award is the digest of every later download. Fonts follow the opening record's PDF
(`bidding/hall/record_pdf.py`): an embeddable TrueType CJK font, or a 503 that names the
package — never a PDF of empty boxes.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trading.announcements.models import Announcement, AwardLetter, LetterKind
from trading.announcements.service import may_see_drafts
from trading.audit import service as audit
from trading.enums import Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.errors import NotFound
from trading.kernel.pdf import CJKFontMissing, cjk_font
from trading.projects.models import Project

log = logging.getLogger("bidhall.letters")

# The same font discovery as the opening record's PDF (same variable, same Debian paths).
TITLES = {LetterKind.AWARD: "中标通知书", LetterKind.RESULT: "中标结果通知书"}


@dataclass(frozen=True)
class Addressee:
    """A bidder of the opening, as the award names it."""

    org_id: int
    name: str
    uscc: str = ""


def render_pdf(kind: LetterKind | str, facts: Mapping[str, Any]) -> bytes:
    """The letter's PDF bytes; the same facts always give the same bytes."""
    font = cjk_font()
    kind = LetterKind(kind)
    zone = ZoneInfo(facts["timezone"])

    def local(iso: str | None) -> str:
        return present.when(datetime.fromisoformat(iso) if iso else None, zone)

    base = ParagraphStyle("l", fontName=font, fontSize=11, leading=20, wordWrap="CJK")
    title = ParagraphStyle("t", parent=base, fontSize=20, leading=30, alignment=TA_CENTER)
    right = ParagraphStyle("r", parent=base, alignment=TA_RIGHT)
    small = ParagraphStyle("s", parent=base, fontSize=8, leading=11)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    price = Decimal(facts["price"])
    amount = f"{present.yuan(price)}元（人民币{present.capital(price)}）"
    subject = (
        f"{facts['tenderer']}的{facts['project_title']}（项目编号：{facts['project_code']}）"
        f"{facts['lot_title']}"
    )
    story: list[Any] = [p(TITLES[kind], title), Spacer(1, 6 * mm)]
    story.append(p(f"致：{facts['addressee']}" + (f"（{facts['uscc']}）" if facts["uscc"] else "")))
    story.append(Spacer(1, 3 * mm))
    opened = local(facts["opened_at"])
    if kind == LetterKind.AWARD:
        story += [
            p(
                f"　　{subject}于{opened}开标。经评标委员会评审、中标候选人公示"
                f"（至{local(facts['publicity_ends'])}），确定你方为中标人。"
            ),
            p(f"　　中标价：{amount}。"),
        ]
        if facts.get("contract_days"):
            story.append(
                p(
                    f"　　请你方自本通知书发出之日起{facts['contract_days']}日内，按照招标文件和"
                    f"你方的投标文件与招标人订立书面合同（{facts['contract_citation']}）。"
                )
            )
    else:
        story += [
            p(
                f"　　{subject}于{opened}开标。经评标委员会评审、中标候选人公示，"
                f"中标人为{facts['winner']}，中标价：{amount}。"
            ),
            p("　　你方未中标。感谢你方参与本次投标；投标保证金依法退还。"),
        ]
    story += [
        Spacer(1, 4 * mm),
        p(f"　　中标结果公告：/announcements/{facts['announcement_id']}"),
        Spacer(1, 12 * mm),
        p(f"招标人：{facts['tenderer']}", right),
    ]
    if facts.get("agency"):
        story.append(p(f"招标代理机构：{facts['agency']}", right))
    story += [
        p(f"交易中心：{facts['center']}", right),
        p(f"发出时间：{local(facts['issued_at'])}", right),
        Spacer(1, 10 * mm),
        p(f"本通知书由 {facts['center']} 电子交易平台生成。", small),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        invariant=1,
        title=TITLES[kind],
        author=facts["center"],
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
    ).build(story)
    return out.getvalue()


async def issue_letters(
    session: AsyncSession,
    result: Announcement,
    actor: Actor,
    *,
    at: datetime,
    winner: Addressee,
    others: Sequence[Addressee],
    price: Decimal,
    publicity_ends: datetime | None,
) -> list[AwardLetter]:
    """Inside the award's write transaction: one letter per bidder, audited with its digest.
    Idempotent per (lot, bidder) by constraint; a second award never reaches here (the lot's
    compare-and-set refuses it first)."""
    f = result.facts
    common = {
        "announcement_id": result.id,
        "project_code": f["project"]["code"],
        "project_title": f["project"]["title"],
        "lot_number": f["lot"]["number"],
        "lot_title": f["lot"]["title"],
        "tenderer": (f.get("tenderer") or {}).get("name", ""),
        "agency": (f.get("agency") or {}).get("name", ""),
        "center": f["center"]["name"],
        "timezone": f["center"]["timezone"],
        "opened_at": f["lot"]["bid_deadline"],
        "publicity_ends": publicity_ends.isoformat() if publicity_ends else None,
        "issued_at": at.isoformat(),
        "winner": winner.name,
        "price": str(price),
        "contract_days": (f.get("award") or {}).get("contract_days"),
        "contract_citation": (f.get("award") or {}).get("contract_citation", ""),
    }
    letters = []
    for kind, who in [(LetterKind.AWARD, winner)] + [(LetterKind.RESULT, o) for o in others]:
        facts = {**common, "kind": kind.value, "addressee": who.name, "uscc": who.uscc}
        try:
            pdf = render_pdf(kind, facts)
            sha, size = hashlib.sha256(pdf).hexdigest(), len(pdf)
        except CJKFontMissing:  # the award stands; the PDF waits for a font (503 until then)
            log.error("no CJK font: letter to org %s issued without a PDF digest", who.org_id)
            sha, size = "", 0
        letter = AwardLetter(
            lot_id=result.lot_id,
            announcement_id=result.id,
            bidder_org_id=who.org_id,
            kind=kind.value,
            title=f"{f['project']['title']} {f['lot']['title']} {TITLES[kind]}"[:300],
            facts=facts,
            sha256=sha,
            size=size,
            created_at=at,
        )
        session.add(letter)
        letters.append(letter)
    await session.flush()
    project = await session.get(Project, result.project_id)
    center_id = project.center_id if project is not None else None
    await audit.append_many(
        session,
        [
            audit.Entry(
                actor,
                "letter.issue",
                "award_letter",
                letter.id,
                at,
                center_id,
                {"kind": letter.kind, "lot_id": letter.lot_id, "sha256": letter.sha256},
            )
            for letter in letters
        ],
    )
    return letters


async def letters_of(session: AsyncSession, actor: Actor) -> list[AwardLetter]:
    """The signed-in bidder's own letters, newest first."""
    if actor.org_id is None or not actor.has(Role.BIDDER):
        return []
    rows = await session.scalars(
        select(AwardLetter)
        .where(AwardLetter.bidder_org_id == actor.org_id)
        .order_by(AwardLetter.created_at.desc(), AwardLetter.id.desc())
    )
    return list(rows.all())


async def letter_for(session: AsyncSession, letter_id: int, actor: Actor) -> AwardLetter:
    """A letter for its addressee (and the center's staff and supervisors); anyone else gets
    the same 404 as for a letter that does not exist."""
    letter = await session.get(AwardLetter, letter_id)
    gone = NotFound(f"通知书 {letter_id} 不存在 / letter {letter_id} not found")
    if letter is None:
        raise gone
    if actor.org_id is not None and actor.has(Role.BIDDER):
        if actor.org_id == letter.bidder_org_id:
            return letter
        raise gone
    project = await session.scalar(
        select(Project)
        .join(Announcement, Announcement.project_id == Project.id)
        .where(Announcement.id == letter.announcement_id)
    )
    if (
        project is None
        or actor.user_id is None
        or not await may_see_drafts(session, actor, project)
    ):
        raise gone
    return letter


def letter_pdf(letter: AwardLetter) -> bytes:
    """The letter's PDF, checked against the digest recorded at the award."""
    pdf = render_pdf(letter.kind, letter.facts)
    if letter.sha256 and hashlib.sha256(pdf).hexdigest() != letter.sha256:
        # A different font file renders different bytes: say so, the facts still stand.
        log.error("letter %s renders with a digest other than the one recorded", letter.id)
    return pdf
