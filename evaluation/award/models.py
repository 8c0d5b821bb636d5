"""Evaluation results: the ranking a lot was awarded on, with the parameters used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from trading.kernel.db import JSON, Base, BigId, IdMixin, UTCDateTime


class EvaluationResult(IdMixin, Base):
    __tablename__ = "evaluation_result"

    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("lot.id"), index=True)
    method: Mapped[str] = mapped_column(String(40))
    # The full offline-evaluable input document, so anyone can recompute the ranking.
    input_doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    ranking: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
