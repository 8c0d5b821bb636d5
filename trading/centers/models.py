"""Trading centers: the tree of administrative divisions, each with its own configuration."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin


class Center(IdMixin, Base):
    """A trading center (公共资源交易中心), keyed by its administrative division code."""

    __tablename__ = "center"

    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("center.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    rule_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
