"""The organization directory (HTML) for center staff and supervisors: search by name or USCC."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

import trading.parties.messages  # noqa: F401  (registers the directory's strings)
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.web import MAX_ID, page, requires
from trading.parties import claim_pages, company_pages
from trading.parties import service as parties

PAGE_SIZE = 50


@get("/center/orgs", name="center_orgs", guards=[requires(Role.STAFF, Role.SUPERVISOR)])
async def orgs_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    q: Annotated[str, Parameter(max_length=100)] = "",
    page_no: Annotated[int, Parameter(query="page", ge=1, le=MAX_ID)] = 1,
) -> Template:
    found = await parties.search_organizations(
        db_session, q, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    return page(request, "center/orgs.html", q=q.strip(), found=found, page_no=page_no, pages=pages)


ROUTES: list[Any] = [orgs_page, *claim_pages.ROUTES, *company_pages.ROUTES]
