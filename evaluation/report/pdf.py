"""The evaluation report (评标报告) as a PDF: Chinese text in the one CJK font
(trading/kernel/pdf.py), byte-reproducible (reportlab's invariant mode and nothing of the
moment of rendering: the same version with the same signatures gives the same bytes)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from evaluation.report.service import ReportView
from trading.kernel import present
from trading.kernel.pdf import cjk_font

WIDTH = landscape(A4)[0] - 24 * mm


def render_report_pdf(view: ReportView) -> bytes:
    font = cjk_font()
    doc = view.report.document
    zone = ZoneInfo(view.lot.project.center.timezone)

    def local(at: Any) -> str:
        return present.when(at, zone, seconds=True)

    base = ParagraphStyle("cjk", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
    sub = ParagraphStyle("sub", parent=base, fontSize=11, leading=15, alignment=TA_CENTER)
    h2 = ParagraphStyle("h2", parent=base, fontSize=11, leading=16, spaceBefore=8)
    mono = ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=7, leading=9)

    def p(text: object, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        cells = [[c if isinstance(c, Paragraph) else p(c) for c in row] for row in rows]
        if widths and widths[-1] == 0:  # the last column takes the rest of the line
            widths = [*widths[:-1], WIDTH - sum(widths[:-1])]
        t = Table(cells, colWidths=widths or [WIDTH / len(rows[0])] * len(rows[0]), repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                ]
            )
        )
        return t

    lot = doc["lot"]
    names = {c["position"]: c["name"] for c in doc["committee"]}
    story: list[Any] = [
        p("评标报告", title),
        p(f"{lot['project']}　{lot['title']}　（第 {doc['version']} 版）", sub),
        Spacer(1, 4 * mm),
        table(
            [
                ["交易中心", lot["center"], "评标办法", doc["method"]],
                ["定稿时间", local(doc["finalised_at"]), "报告版本", str(doc["version"])],
            ],
            [30 * mm, WIDTH / 2 - 30 * mm, 30 * mm, WIDTH / 2 - 30 * mm],
        ),
        p("报告摘要（规范 JSON 的 SHA-256）", h2),
        p(view.report.sha256, mono),
        p("评标输入文件摘要（bidhall evaluate 可复算）", h2),
        p(doc["input_sha256"], mono),
    ]
    if view.report.superseded_at is not None:
        story.append(p(f"本版本已于 {local(view.report.superseded_at)} 被新版本取代。", h2))
    re = doc.get("re_evaluation")
    if re:
        story.append(p("重新评审", h2))
        story.append(
            p(f"第 {re['number']} 次：{re['case_text']}（{re['citation']}）。理由：{re['reason']}")
        )
    story.append(p("评标委员会", h2))
    story.append(
        table(
            [["席位", "专家编号", "姓名", "职务"]]
            + [
                [str(c["position"]), c["code"], c["name"], "主任委员" if c["chair"] else "委员"]
                for c in doc["committee"]
            ]
        )
    )
    story.append(p("中标候选人", h2))
    if doc["candidates"]:
        story.append(
            table(
                [["排名", "投标人", "投标报价（元）", "综合得分/评标价"]]
                + [
                    [
                        str(c["rank"]),
                        c["bidder"],
                        c["price"] or "—",
                        c.get("total") or c.get("evaluated_price") or "—",
                    ]
                    for c in doc["candidates"]
                ]
            )
        )
    else:
        story.append(p("无"))
    story.append(p("被否决的投标及理由", h2))
    if doc["rejected"]:
        story.append(
            table(
                [["投标人", "理由"]]
                + [[r["bidder"], "；".join(r["reasons"])] for r in doc["rejected"]],
                [70 * mm, WIDTH - 70 * mm],
            )
        )
    else:
        story.append(p("无"))
    story.append(p("资格/符合性审查（各专家）", h2))
    positions = [c["position"] for c in doc["committee"]]
    rows = [["投标人", *(f"席位{n}" for n in positions)]]
    for b in doc["bids"]:
        rows.append(
            [
                b["bidder"],
                *(
                    ("通过" if q["pass"] else "不通过")
                    + (f"：{q['reason']}" if q["reason"] else "")
                    for q in b["qualification"]
                ),
            ]
        )
    story.append(table(rows))
    for c in doc["criteria"]:
        story.append(p(f"评分：{c.get('name', c['id'])}（满分 {c['max_score']}）", h2))
        rows = [["投标人", *(f"席位{n}" for n in positions)]]
        for b in doc["bids"]:
            marks = b["scores"].get(c["id"], [])
            rows.append(
                [b["bidder"], *(m["score"] + (f" {m['comment']}" if m["comment"] else "")
                                for m in marks)]
            )  # fmt: skip
        story.append(table(rows))
    story.append(p("偏离评分及书面理由", h2))
    if doc["deviations"]:
        bidders = {b["bid_id"]: b["bidder"] for b in doc["bids"]}
        story.append(
            table(
                [["投标人", "评分因素", "席位", "评分", "平均分", "理由"]]
                + [
                    [
                        bidders.get(f["bid_id"], f["bid_id"]),
                        f["criterion_id"],
                        str(f["position"]),
                        f["score"],
                        f["mean"],
                        f["reason"],
                    ]
                    for f in doc["deviations"]
                ]
            )
        )
    else:
        story.append(p("无"))
    story.append(p("专家签署（Ed25519，对报告摘要、版本、席位与不同意见的规范 JSON 签名）", h2))
    rows = [["席位", "姓名", "签名密钥", "公钥 SHA-256", "签署时间", "不同意见"]]
    for r in view.signatures:
        rows.append(
            [str(r.position), r.name or names.get(r.position, ""),
             p(r.key_id or "未签署", mono), p(r.sign_pub_sha256 or "—", mono),
             local(r.signed_at) if r.signed_at else "—", r.dissent or "无"]
        )  # fmt: skip
    story.append(table(rows, [14 * mm, 30 * mm, 40 * mm, 60 * mm, 40 * mm, 0]))
    for r in view.signatures:
        if r.signed:
            story.append(p(f"席位 {r.position} 签名：", base))
            story.append(p(r.signature, mono))
    story.append(p("全体成员已签署，报告完成。" if view.complete else "尚有成员未签署。", h2))

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        invariant=1,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=f"评标报告 {lot['project']} {lot['title']} 第{doc['version']}版",
        author=lot["center"],
    ).build(story)
    return out.getvalue()
