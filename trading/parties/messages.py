"""The organization directory's UI strings (Simplified Chinese, English)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "party.dir.title": ("单位名录", "Organization directory"),
    "party.dir.q": ("名称或统一社会信用代码", "Name or USCC"),
    "party.dir.name": ("单位名称", "Name"),
    "party.dir.uscc": ("统一社会信用代码", "USCC"),
    "party.dir.sme": ("中小企业", "SME"),
    "party.dir.none": ("没有符合条件的单位", "No organization matches"),
    "party.dir.total": ("共 {n} 个单位", "{n} organizations"),
    "party.dir.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "party.dir.prev": ("上一页", "Previous"),
    "party.dir.next": ("下一页", "Next"),
    "party.dir.yes": ("是", "Yes"),
}

register(MESSAGES)
