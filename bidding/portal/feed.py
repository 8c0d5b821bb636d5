"""Atom 1.0 (RFC 4287) feeds of the announcement channels, built with ElementTree (which
escapes every text and attribute, so a title cannot break the XML)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"

ET.register_namespace("", ATOM)


def _stamp(value: datetime) -> str:
    """RFC 3339 in UTC, as Atom's date constructs want."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom(
    *,
    base: str,
    self_path: str,
    title: str,
    kind_label: Callable[[str], str],
    entries: Sequence[Any],
    now: datetime,
) -> bytes:
    """The feed document. `entries`: rows with id, kind, title, published_at, project_code,
    project_title, center_name; `base`: the site's absolute origin."""
    root = ET.Element(f"{{{ATOM}}}feed")
    _add(root, "id", base + self_path)
    _add(root, "title", title)
    # The newest entry's time; an empty channel has not changed since... now is all we know.
    newest = max((e.published_at for e in entries), default=now)
    _add(root, "updated", _stamp(newest))
    _add(root, "link", rel="self", type="application/atom+xml", href=base + self_path)
    _add(root, "link", rel="alternate", type="text/html", href=base + "/announcements")
    author = _add(root, "author")
    _add(author, "name", "bidhall")
    for row in entries:
        href = f"{base}/announcements/{row.id}"
        entry = _add(root, "entry")
        _add(entry, "id", href)
        _add(entry, "title", row.title)
        _add(entry, "link", rel="alternate", type="text/html", href=href)
        _add(entry, "published", _stamp(row.published_at))
        _add(entry, "updated", _stamp(row.published_at))
        _add(entry, "category", term=row.kind, label=kind_label(row.kind))
        _add(entry, "summary", f"{row.project_code} {row.project_title} · {row.center_name}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
