"""The submission receipt (投标文件递交回执) as a PDF: the signed receipt's fields in Chinese,
the receipt's canonical JSON and signature, so the paper verifies offline like the JSON.

Rendered from the receipt and the names of the lot and bidder only (no "generated at"), in
reportlab's invariant mode (no creation date, fixed document id): the same receipt gives the
same bytes on every download. The font: trading/kernel/pdf.py (no font, a 503 naming it).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from crypto.canonical import canonical_json
from trading.kernel import present
from trading.kernel.pdf import cjk_font


@dataclass(frozen=True)
class ReceiptFacts:
    """What the receipt PDF names besides the signed receipt."""

    project_code: str
    project_title: str
    lot_number: str
    lot_title: str
    center_name: str
    timezone: str
    bidder_name: str
    bid_id: int
    status: str


STATUSES = {
    "active": "有效（最后递交的版本）",
    "replaced": "已被后续版本替换",
    "withdrawn": "已撤回",
    "decrypted": "已解密",
    "revoked": "撤销（投标人原因）",
    "failed": "撤回（非投标人原因）",
}


def render_receipt_pdf(receipt: dict[str, Any], facts: ReceiptFacts) -> bytes:
    font = cjk_font()
    base = ParagraphStyle("cjk", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER)
    mono = ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=7.5, leading=9.5)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    def code(text: str) -> Paragraph:
        # Long hex and base64 strings wrap anywhere (CJK wrapping splits at any character).
        return Paragraph(escape(text), ParagraphStyle("code", parent=mono, wordWrap="CJK"))

    rows = [
        ("项目编号 / 标段", f"{facts.project_code} / {facts.lot_number}"),
        ("项目名称", f"{facts.project_title} · {facts.lot_title}"),
        ("交易中心", facts.center_name),
        ("投标人", f"{facts.bidder_name}（统一社会信用代码 {receipt['bidder_id']}）"),
        ("投标编号 / 版本", f"#{facts.bid_id} / 第 {receipt['version']} 版"),
        ("状态", STATUSES.get(facts.status, facts.status)),
        (
            "递交时间",
            f"{present.when(receipt['received_at'], facts.timezone, seconds=True)}"
            f"（{facts.timezone}）",
        ),
        ("密文大小", f"{receipt['size']:,} 字节"),
        ("审计日志序号", str(receipt["audit_index"])),
        ("信封标段标识", receipt["lot_id"]),
    ]
    table = Table(
        [[p(k), p(v)] for k, v in rows]
        + [
            [p("密文 SHA-256"), code(receipt["ciphertext_sha256"])],
            [p("平台签名密钥"), code(receipt["key_id"])],
        ],
        colWidths=[38 * mm, 122 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), "#eeeeee"),
            ]
        )
    )
    fields = {k: v for k, v in receipt.items() if k != "signature"}
    story = [
        p("投标文件递交回执", title),
        Spacer(1, 4 * mm),
        p(
            "平台已收到下列密封投标文件。平台只保存密文，开标前任何人无法读取投标内容"
            "（电子招标投标办法 第26条、第30条）。"
        ),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 5 * mm),
        p("平台签名（Ed25519，对下列回执字段的规范 JSON 签名）", base),
        code(str(receipt["signature"])),
        Spacer(1, 3 * mm),
        p("回执字段（规范 JSON）", base),
        code(canonical_json(fields).decode()),
        Spacer(1, 4 * mm),
        p(
            "核验：以平台公布的公钥验证签名（bidhall receipt verify，或投标人工作台自动核验）；"
            "以密文 SHA-256 核对所递交的文件。",
            small,
        ),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        invariant=1,
        title=f"投标文件递交回执 #{facts.bid_id}",
        author="bidhall",
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    ).build(story)
    return out.getvalue()
