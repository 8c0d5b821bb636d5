"""Center JSON API (statistics, roll-ups)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
