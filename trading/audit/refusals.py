"""Refused requests leave an audit entry (电子办法 49)."""

from __future__ import annotations

from typing import Any

from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.db import writing
from trading.kernel.errors import DomainError
from trading.kernel.web import SAFE_METHODS, runtime_of


async def audit_refusal(exc: Exception, scope: Any) -> None:
    """Every refused write (and every forbidden read) leaves an audit entry (电子办法 49)."""
    status = exc.status if isinstance(exc, DomainError) else getattr(exc, "status_code", 500)
    method = scope.get("method", "GET")
    if not 400 <= status < 500 or (method in SAFE_METHODS and status != 403):
        return
    rt = runtime_of(scope)
    client = scope.get("client")
    actor = scope.get("user") or Actor(None, "anonymous", ip=client[0] if client else "")
    detail = exc.message if isinstance(exc, DomainError) else getattr(exc, "detail", str(exc))
    async with rt.sessionmaker() as session, writing(session):
        await audit.append(
            session,
            actor,
            "request.refused",
            "request",
            f"{method} {scope.get('path', '')}"[:64],
            at=rt.clock.now(),
            center_id=actor.center_id,
            detail={"status": status, "reason": str(detail)[:500]},
        )
