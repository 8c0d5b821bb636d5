"""Strings of the confirm-or-object form and of the objection's answer notice."""

from __future__ import annotations

from trading.kernel.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    "notice.objection_answered": ("异议答复", "Objection answered"),
    "hall.respond_rule": (
        "对开标记录，请确认或提出异议（二者择一）；异议答复后可再确认"
        "（招标投标法实施条例 第44条）。",
        "Confirm the record or object to it, not both; once an objection is answered you may "
        "confirm (招标投标法实施条例 第44条).",
    ),
    "hall.you_confirmed": ("贵方已确认开标记录", "You confirmed the record"),
    "hall.you_objected": ("贵方的异议待答复", "Your objection awaits its answer"),
    "hall.you_answered": (
        "贵方的异议已答复，可确认开标记录",
        "Your objection was answered: you may confirm the record",
    ),
}

register(MESSAGES)
