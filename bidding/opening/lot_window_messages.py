"""Strings of a lot's decryption window as the hall and the portal show it (电子办法 30)."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "lotwin.label": ("解密时限", "Decryption window"),
    "lotwin.minutes": ("开标后{n}分钟", "{n} minutes from the opening's start"),
    "lotwin.ruleset": ("（规则集默认）", " (the ruleset's)"),
    "lotwin.own": ("（本标段设定）", " (set for this lot)"),
}

register(MESSAGES)
