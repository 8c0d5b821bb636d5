"""The composition root: one Litestar app with every package's routes, storage and scheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, get
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import bidding.hall.api
import bidding.hall.pages
import bidding.hall.stream
import bidding.opening.api
import bidding.opening.attendance_api
import bidding.opening.pages
import bidding.participation.api
import bidding.participation.pages
import bidding.portal.pages
import bidding.submission.api
import bidding.submission.lot_forms
import bidding.submission.pages
import bidding.workspace.pages
import evaluation.award.api
import evaluation.award.pages
import evaluation.clarify.api
import evaluation.clarify.pages
import evaluation.experts.api
import evaluation.experts.pages
import evaluation.outcome.api
import evaluation.outcome.pages
import evaluation.report.api
import evaluation.report.pages
import evaluation.scoring.api
import evaluation.scoring.pages
import trading.announcements.api
import trading.announcements.pages
import trading.audit.api
import trading.audit.pages
import trading.auth.api
import trading.auth.pages
import trading.centers.api
import trading.centers.pages
import trading.parties.api
import trading.parties.key_pages
import trading.parties.pages
import trading.projects.api
from bidding.opening.flows import due_lots, due_windows, remind_due, run_opening
from bidding.opening.service import start_decryptors, stop_decryptors
from bidhall.deps import DEPENDENCIES
from bidhall.migrate import ensure_migrated
from bidhall.notices import install_result_notices
from bidhall.scheduler import Leadership, OpeningScheduler
from trading.audit.heads import publish_for
from trading.audit.refusals import audit_refusal
from trading.auth.middleware import ActorMiddleware
from trading.kernel.apidocs import LocalSwaggerPlugin
from trading.kernel.cache import PublicCache, PublicCacheMiddleware
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.content_type import JsonContentTypeMiddleware, NoNulMiddleware
from trading.kernel.csp import security_headers
from trading.kernel.runtime import Runtime
from trading.kernel.web import EXCEPTION_HANDLERS, IdRangeMiddleware

# Each package lists its own handlers in ROUTES; the root only collects them.
ROUTE_MODULES: tuple[ModuleType, ...] = (
    trading.auth.api,
    trading.announcements.api,
    trading.announcements.pages,
    trading.auth.pages,
    trading.parties.api,
    trading.parties.pages,
    trading.parties.key_pages,
    trading.projects.api,
    bidding.portal.pages,
    trading.centers.api,
    trading.centers.pages,
    trading.audit.api,
    trading.audit.pages,
    bidding.participation.api,
    bidding.participation.pages,
    bidding.submission.api,
    bidding.submission.pages,
    bidding.submission.lot_forms,
    bidding.workspace.pages,
    bidding.opening.api,
    bidding.opening.pages,
    bidding.opening.attendance_api,
    bidding.hall.api,
    bidding.hall.pages,
    bidding.hall.stream,
    evaluation.award.api,
    evaluation.award.pages,
    evaluation.experts.api,
    evaluation.experts.pages,
    evaluation.outcome.api,
    evaluation.outcome.pages,
    evaluation.scoring.api,
    evaluation.scoring.pages,
    evaluation.clarify.api,
    evaluation.clarify.pages,
    evaluation.report.api,
    evaluation.report.pages,
)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
log = logging.getLogger("bidhall")
TREE_HEAD_EVERY = timedelta(minutes=5)
OPENING_REMINDERS_EVERY = timedelta(minutes=1)  # each person at most once per 5 minutes
LEADER_RETRY = timedelta(seconds=30)
SHUTDOWN_GRACE = timedelta(seconds=30)


def attach_scheduler(rt: Runtime) -> OpeningScheduler:
    async def opener(lot_id: int) -> None:
        await run_opening(rt, lot_id)

    async def due() -> list[tuple[int, object]]:
        return await due_lots(rt)

    async def tree_head() -> None:
        await publish_for(rt)

    async def windows() -> list[tuple[int, datetime]]:
        return await due_windows(rt)

    async def reminders() -> None:
        await remind_due(rt)

    rt.scheduler = OpeningScheduler(opener, due, rt.clock, windows)  # type: ignore[arg-type]
    rt.scheduler.every(tree_head, "tree-head", TREE_HEAD_EVERY)
    rt.scheduler.every(reminders, "opening-reminders", OPENING_REMINDERS_EVERY)
    return rt.scheduler


async def _start_scheduler(rt: Runtime) -> None:
    scheduler = attach_scheduler(rt)
    scheduler.start()
    ran = await scheduler.reconcile()
    log.info("scheduler started; %d overdue opening(s) run at start-up", ran)


async def _lead_when_possible(rt: Runtime, leadership: Leadership) -> None:
    """A follower asks again now and then: the leader's lock goes when its process does."""
    # Polling is the point: the lock lives in another process's connection, nothing to await.
    while not await leadership.try_lead():  # noqa: ASYNC110
        await asyncio.sleep(LEADER_RETRY.total_seconds())
    await _start_scheduler(rt)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    runtime: Runtime | None = None,
    check_schema: bool = True,
) -> Litestar:
    settings = settings or Settings.from_env()
    rt = runtime or Runtime.build(settings, clock)
    install_result_notices()  # the bidder's inbox tells the results evaluation publishes

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        if check_schema:
            await ensure_migrated(rt.engine, rt.settings.database_url)
        await start_decryptors(rt.settings)
        leadership = Leadership(rt.engine)
        candidate: asyncio.Task[None] | None = None
        if rt.settings.run_scheduler:
            if await leadership.try_lead():  # before serving: overdue openings run first
                await _start_scheduler(rt)
            else:
                log.info("another process leads the scheduler; this one waits to take over")
                candidate = asyncio.create_task(_lead_when_possible(rt, leadership))
        try:
            yield
        finally:
            if candidate is not None:
                candidate.cancel()
                await asyncio.gather(candidate, return_exceptions=True)
            if rt.scheduler is not None:
                rt.scheduler.shutdown()
                rt.scheduler = None
            # Running openings finish (or their lease lets another process resume them).
            await rt.jobs.drain(grace=SHUTDOWN_GRACE.total_seconds())
            await leadership.resign()
            stop_decryptors()

    public_cache = PublicCache(rt.clock)
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=rt.engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
    )
    app = Litestar(
        route_handlers=[
            *(handler for module in ROUTE_MODULES for handler in module.ROUTES),
            healthz,
            # Browser-side sealing (static/js): plain ES modules, no build step.
            create_static_files_router(path="/static", directories=[TEMPLATES.parent / "static"]),
        ],
        # Handlers declare rt, settings, clock, ctx, ... by name; nothing looks them up.
        dependencies=DEPENDENCIES,
        plugins=[SQLAlchemyPlugin(config=db_config)],
        middleware=[
            IdRangeMiddleware,
            # Anonymous public pages, kept a few seconds: before authentication, so a hit is
            # cheap; requests with credentials pass straight through (trading/kernel/cache.py).
            DefineMiddleware(PublicCacheMiddleware, cache=public_cache),
            DefineMiddleware(ActorMiddleware, exclude=["^/schema", "^/healthz"]),
            JsonContentTypeMiddleware,  # a JSON body only as application/json, else 415
            NoNulMiddleware,  # no NUL in path, query or body text (PostgreSQL cannot store it)
        ],
        # CSP, nosniff, referrer: a send hook, so 404s and middleware errors get them too.
        before_send=[security_headers],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        # The API browser from static/vendor (no CDN: works offline, under the CSP).
        openapi_config=OpenAPIConfig(
            title="bidhall",
            version="0.1.0",
            path="/schema",
            render_plugins=[LocalSwaggerPlugin()],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        after_exception=[audit_refusal],
        lifespan=[lifespan],
        debug=settings.debug,
    )
    app.state.rt = rt
    app.state.public_cache = public_cache
    return app


@get("/healthz", tags=["platform"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
