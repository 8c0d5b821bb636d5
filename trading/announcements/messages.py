"""The announcements' strings (Simplified Chinese, English)."""

from __future__ import annotations

from trading.kernel import i18n
from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "announcements.draft": ("草稿（未公开）", "Draft (not public)"),
    "announcements.sandbox": ("沙箱项目（不公开）", "Sandbox project (not public)"),
    "announcements.published": ("发布时间", "Published"),
    "announcements.ends": ("公示期截止", "Publicity ends"),
    "announcements.digest": ("公告摘要 SHA-256", "Document SHA-256"),
    "announcements.lot": ("标段详情", "Lot details"),
    "announcements.publish": ("发布公告", "Publish"),
    "announcements.json": ("JSON 数据", "JSON data"),
    "announcements.back": ("返回标段", "Back to the lot"),
    "announcements.kind": ("公告类型", "Kind"),
    "announcements.letter.award": ("中标通知书", "Notice of award"),
    "announcements.letter.result": ("中标结果通知书", "Notice of the award result"),
}
# The kind labels (ann.<kind>) live in the kernel; the one it lacks is added here, once.
if "ann.termination" not in i18n.MESSAGES:
    MESSAGES["ann.termination"] = ("终止公告", "Termination notice")

register(MESSAGES)
