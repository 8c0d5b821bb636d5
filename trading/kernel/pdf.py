"""The one CJK font every PDF of the platform embeds (opening record, award letters).

reportlab embeds a subset of a TrueType font with a ToUnicode map, so the text both renders and
extracts (pdftotext, screen readers, copy/paste). It cannot embed CFF (OpenType/PostScript)
outlines, which rules out Noto CJK; WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``) has
TrueType outlines and covers GB 18030's common characters. No font, no PDF:
:class:`CJKFontMissing` (HTTP 503) names the package rather than sending empty boxes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from trading.kernel.errors import DomainError

FONT_ENV = "BIDHALL_CJK_FONT"
FONT_PACKAGE = "fonts-wqy-microhei"
# TrueType-outline CJK fonts as Debian installs them, best first.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FONT_NAME = "BidhallCJK"
PROBE = "开标记录表投标人报价中标通知书结果"


class CJKFontMissing(DomainError):
    status = 503
    code = "cjk_font_missing"


def _usable(path: Path) -> bool:
    try:
        font = TTFont(FONT_NAME, str(path), subfontIndex=0)
    except (TTFError, OSError, ValueError):
        return False  # CFF outlines, not a font, unreadable
    return all(ord(ch) in font.face.charToGlyph for ch in PROBE)


def find_cjk_font(candidates: Sequence[str] = FONT_CANDIDATES) -> Path | None:
    configured = os.environ.get(FONT_ENV)
    for raw in ([configured] if configured else []) + list(candidates):
        path = Path(raw)
        if path.is_file() and _usable(path):
            return path
    return None


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The registered font's name, found and registered once per process."""
    path = find_cjk_font()
    if path is None:
        raise CJKFontMissing(
            f"服务器未安装可嵌入的中文字体，无法生成 PDF；请安装 Debian 软件包 {FONT_PACKAGE}"
            f"（或设置 {FONT_ENV} 指向 TrueType 中文字体）/ no embeddable CJK font on the server:"
            f" install the Debian package {FONT_PACKAGE} (or point {FONT_ENV} at a TrueType"
            " CJK font)"
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME
