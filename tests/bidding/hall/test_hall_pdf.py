"""The opening record as a PDF: its Chinese extracts (so it was embedded), and no font → 503."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bidhall.demo import BIDDERS
from tests.support.clients import Client, bearer
from trading.kernel import pdf

PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"  # `make test` installs poppler-utils


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    keep = os.environ.get("BIDHALL_SCREENSHOTS")  # a directory: keep the PDF to look at
    path = Path(keep or tmp_path) / "record.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return out.stdout.decode("utf-8")


async def test_pdf_has_chinese_names_prices_and_the_answers(
    opened_lot: Any, client: Client, tmp_path: Path
) -> None:
    lot = await opened_lot(title="开标记录PDF测试工程")
    base = f"/api/v1/lots/{lot.id}/opening"
    b2 = await bearer(client, "bidder-2")
    objection = await client.post(
        f"{base}/objections", json={"text": "请核实第二名的工期承诺"}, headers=b2
    )
    staff = await bearer(client, "staff-450100")
    await client.post(
        f"{base}/objections/{objection.json()['id']}/answer",
        json={"text": "已核实，工期为一百八十日历天"},
        headers=staff,
    )
    r = await client.get(f"/lots/{lot.id}/opening.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    text = pdf_text(r.content, tmp_path)
    assert "开标记录表" in text and "开标记录PDF测试工程" in text
    for username, name, _sme in BIDDERS[:3]:
        assert name in text, username
    for price in ("9,100,000.00", "8,950,000.00", "9,230,000.00", "9,500,000.00"):
        assert price in text
    assert "解密成功" in text
    assert "请核实第二名的工期承诺" in text and "已核实，工期为一百八十日历天" in text
    assert "2026-03-23 09:05:00" in text  # opened at the deadline + 5 min, in Asia/Shanghai


async def test_pdf_before_the_record_is_404(publish_lot: Any, client: Client) -> None:
    lot = await publish_lot()
    assert (await client.get(f"/lots/{lot.id}/opening.pdf")).status_code == 404


async def test_no_cjk_font_is_a_clear_503(
    opened_lot: Any, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    lot = await opened_lot()
    monkeypatch.setattr(pdf, "find_cjk_font", lambda *_a: None)
    pdf.cjk_font.cache_clear()
    try:
        r = await client.get(f"/lots/{lot.id}/opening.pdf")
    finally:
        monkeypatch.undo()
        pdf.cjk_font.cache_clear()
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "fonts-wqy-microhei" in r.json()["detail"]


def test_font_search_refuses_cff_fonts(tmp_path: Path) -> None:
    # Noto CJK (CFF outlines) cannot be embedded by reportlab: the search must pass it over.
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    candidates = [str(p) for p in (noto, junk) if p.exists()]
    assert pdf.find_cjk_font(candidates) is None
    assert pdf.find_cjk_font() is not None  # `make test` installs fonts-wqy-microhei
