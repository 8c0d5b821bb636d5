"""The transparency page: the platform's public key, the latest signed tree heads, and how
anyone checks the log with `bidhall audit verify`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.encoding import b64u_encode
from crypto.keys import Identity, key_id
from trading.audit import heads
from trading.audit import service as audit
from trading.kernel.actor import Actor
from trading.kernel.web import page


@get("/transparency", name="transparency")
async def transparency(
    request: Request[Actor, Any, Any], db_session: AsyncSession, platform: Identity
) -> Template:
    signed = [heads.head_json(h) for h in await heads.list_heads(db_session, 20)]
    return page(
        request,
        "transparency.html",
        sign_pub=b64u_encode(platform.sign_pub),
        enc_pub=b64u_encode(platform.enc_pub),
        key_id=key_id(platform.sign_pub),
        heads=signed,
        log_size=await audit.log_size(db_session),
        base_url=str(request.base_url).rstrip("/"),
    )


ROUTES = [transparency]
