"""The opening record (开标记录表) as a PDF whose Chinese renders everywhere (the font:
trading/kernel/pdf.py; no font, a 503 that names the package)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bidding.hall.service import RecordView
from trading.kernel import present
from trading.kernel.pdf import cjk_font


@dataclass(frozen=True)
class RecordContext:
    """What the PDF shows besides the signed record itself (``view``: the record formatted)."""

    view: RecordView
    project_title: str
    lot_title: str
    center_name: str
    timezone: str
    responses: Sequence[dict[str, Any]]
    window_ends_at: datetime | None
    generated_at: datetime


OUTCOMES = {
    "decrypted": "解密成功",
    "revoked": "撤销（投标人原因）",
    "failed": "撤回（非投标人原因）",
}
KINDS = {"confirm": "确认", "objection": "异议"}


def render_record_pdf(signed: dict[str, Any], ctx: RecordContext) -> bytes:
    """The PDF bytes of a signed opening record {record, signature, key_id}."""
    font = cjk_font()
    zone = ZoneInfo(ctx.timezone)
    record, view = signed["record"], ctx.view

    def local(at: str | datetime | None) -> str:
        return present.when(at, zone, seconds=True)

    base = ParagraphStyle("cjk", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
    sub = ParagraphStyle("sub", parent=base, fontSize=11, leading=15, alignment=TA_CENTER)
    h2 = ParagraphStyle("h2", parent=base, fontSize=11, leading=16, spaceBefore=8)
    num = ParagraphStyle("num", parent=base, alignment=TA_RIGHT)
    mono = ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=7, leading=9)

    def p(text: object, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    story: list[Any] = [
        p("开标记录表", title),
        p(f"{ctx.project_title}　{ctx.lot_title}", sub),
        Spacer(1, 4 * mm),
    ]
    # 开标时间 is the opening itself (the bid deadline); the platform signs the record later,
    # once every bid is decided, and that moment has its own line.
    facts = [
        ["项目编号/标段", view.lot, "交易中心", ctx.center_name],
        ["开标时间", f"{view.opening_at}（{ctx.timezone}）", "最高投标限价(元)",
         view.control_price],
        ["记录签署时间", view.signed_at, "最高投标限价(大写)", view.control_price_capital],
        ["投标人数量", str(len(view.rows)), "确认/异议截止",
         local(ctx.window_ends_at) if ctx.window_ends_at else present.DASH],
    ]  # fmt: skip
    story.append(_table([[p(c) for c in row] for row in facts], [32 * mm, 95 * mm, 36 * mm, 0]))
    story.append(p("唱标（开标一览表）", h2))
    header = ["序号", "投标人", "统一社会信用代码", *(c.zh for c in view.columns), "解密结果"]
    rows = [[p(h) for h in header]]
    for row in view.rows:
        outcome = OUTCOMES.get(row.outcome, row.outcome)
        if row.cause:
            outcome += f"：{row.cause}"
        rows.append(
            [
                p(row.index),
                p(row.bidder),
                p(row.uscc),
                *(p(row.cells[c.key], num if c.numeric else base) for c in view.columns),
                p(outcome),
            ]
        )
    # Fixed columns first, the form's own columns share what is left, the outcome gets the rest.
    fixed = [12 * mm, 42 * mm, 40 * mm]
    shares = {"price": 1.0, "price_capital": 1.7, "duration_days": 0.7, "quality": 0.7}
    room = landscape(A4)[0] - 24 * mm - sum(fixed) - 40 * mm
    weights = [shares.get(c.key, 0.8) for c in view.columns]
    widths = fixed + [room * w / sum(weights) for w in weights] + [0]
    story.append(_table(rows, widths, header=True))
    story.append(p("投标文件密文摘要（SHA-256，与投标回执一致）", h2))
    digests = [[p(h) for h in ("序号", "投标人", "密文 SHA-256")]]
    digests += [[p(row.index), p(row.bidder), p(row.sha256, mono)] for row in view.rows]
    story.append(_table(digests, [12 * mm, 78 * mm, 0], header=True))
    story.append(p("投标人确认与异议（《招标投标法实施条例》第四十四条）", h2))
    if ctx.responses:
        lines = [[p(h) for h in ("时间", "投标人", "类型", "内容", "交易中心答复", "答复时间")]]
        for r in ctx.responses:
            lines.append(
                [
                    p(local(r["created_at"])),
                    p(r["bidder"]),
                    p(KINDS.get(r["kind"], r["kind"])),
                    p(r["text"] or "—"),
                    p(r["answer"] or ("—" if r["kind"] == "confirm" else "待答复")),
                    p(local(r["answered_at"]) if r["answered_at"] else "—"),
                ]
            )
        story.append(_table(lines, [36 * mm, 45 * mm, 14 * mm, 68 * mm, 68 * mm, 0], header=True))
    else:
        story.append(p("无"))
    story.append(p("平台签名", h2))
    story.append(p(f"签名密钥 {signed['key_id']}（Ed25519，对记录的规范 JSON 签名）"))
    story.append(p(signed["signature"], mono))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=f"开标记录表 {record['lot']}",
        author="bidhall",
        subject=f"{ctx.project_title} {ctx.lot_title}",
    )
    footer = f"生成于 {local(ctx.generated_at)}　本表由平台密钥签名，可离线验证"

    def on_page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(12 * mm, 7 * mm, footer)
        canvas.drawRightString(document.pagesize[0] - 12 * mm, 7 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _table(rows: list[list[Any]], widths: list[float], *, header: bool = False) -> Table:
    full = landscape(A4)[0] - 24 * mm
    if widths[-1] == 0:  # the last column takes the rest of the line
        widths = [*widths[:-1], full - sum(widths[:-1])]
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")))
    table.setStyle(TableStyle(style))
    return table
