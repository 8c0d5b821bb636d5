"""Portal pages (HTML): the home page (the latest of every channel and the lot list), the
channel lists `/announcements`, their Atom feeds and the lot page.

All read through `bidding.portal.service` (Core selects of the shown columns); anonymous
responses are kept a few seconds by the public page cache (trading.kernel.cache), dropped on
every lot transition and published announcement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.portal import feed
from bidding.portal import messages as _messages  # noqa: F401 (registers the strings)
from bidding.portal import service as public
from trading.announcements.models import AnnouncementKind
from trading.centers.service import subtree_ids
from trading.enums import Category, LotState
from trading.kernel.actor import Actor
from trading.kernel.cache import public_cache
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import NotFound
from trading.kernel.i18n import pick_lang, translator
from trading.kernel.web import page
from trading.projects import service as projects

Text = Annotated[str | None, Parameter(max_length=100)]
Code = Annotated[str | None, Parameter(max_length=32)]
Day = Annotated[str | None, Parameter(max_length=10)]


@dataclass
class Query:
    """A list page's filters as asked (strings, for the form and the links) and as applied."""

    values: dict[str, str]
    applied: public.Filters
    errors: dict[str, str] = field(default_factory=dict)

    def link(self, path: str, **changes: Any) -> str:
        """This list with the same filters and `changes` (page=…)."""
        merged = {**self.values, **{k: str(v) for k, v in changes.items()}}
        query = urlencode({k: v for k, v in merged.items() if v and (k, v) != ("page", "1")})
        return path + ("?" + query if query else "")


def _day(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A day `YYYY-MM-DD` as the UTC instant its first second begins in the platform's zone."""
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(), tzinfo=zone).astimezone(UTC)


async def _query(
    session: AsyncSession,
    settings: Settings,
    lang: str,
    *,
    center: str | None,
    category: str | None,
    q: str | None,
    date_from: str | None,
    date_to: str | None,
    winner: str | None,
    **more: str | None,
) -> Query:
    values = {
        "center": center or "",
        "category": category or "",
        "q": (q or "").strip(),
        "from": date_from or "",
        "to": date_to or "",
        "winner": (winner or "").strip(),
        **{k: v or "" for k, v in more.items()},
    }
    t = translator(lang)
    errors: dict[str, str] = {}
    zone = ZoneInfo(settings.timezone)
    since = until = None
    for key in ("from", "to"):
        try:
            day = _day(values[key], zone)
        except ValueError:
            errors[key] = t("portal.filter.date_invalid")
            continue
        if key == "from":
            since = day
        elif day is not None:
            until = day + timedelta(days=1)  # the whole last day
    if since is not None and until is not None and since >= until:
        errors["to"] = t("portal.filter.range_invalid")
    center_ids = None
    if center:
        chosen = next((c for c in await public.portal_centers(session) if c.code == center), None)
        center_ids = sorted(await subtree_ids(session, chosen.id)) if chosen else []
    applied = public.Filters(
        center_ids=center_ids,
        category=category or None,
        q=values["q"] or None,
        since=since,
        until=until,
        winner=values["winner"] or None,
    )
    return Query(values=values, applied=applied, errors=errors)


def _lang(request: Request[Any, Any, Any]) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))


def _common(centers: Any) -> Mapping[str, Any]:
    return {
        "centers": centers,
        "categories": list(Category),
        "channels": [k.value for k in public.CHANNELS],
        "page_sizes": public.PAGE_SIZES,
    }


@public_cache
@get("/", name="portal")
async def portal(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    settings: Settings,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    category: Code = None,
    lot_state: Annotated[str | None, Parameter(query="state", max_length=16)] = None,
    q: Text = None,
    date_from: Annotated[str | None, Parameter(query="from", max_length=10)] = None,
    date_to: Annotated[str | None, Parameter(query="to", max_length=10)] = None,
    winner: Text = None,
    page_no: Annotated[int | None, Parameter(query="page")] = None,
    size: Annotated[int | None, Parameter(query="size")] = None,
) -> Template:
    """The home page: the latest of every channel, then the lot list (paged, with totals)."""
    query = await _query(
        db_session,
        settings,
        _lang(request),
        center=center,
        category=category,
        q=q,
        date_from=date_from,
        date_to=date_to,
        winner=winner,
        state=lot_state,
        size=str(size) if size else None,
    )
    heads_filter = public.Filters(center_ids=query.applied.center_ids, category=category or None)
    heads = await public.channel_heads(db_session, heads_filter)
    lots = (
        await public.lot_list(
            db_session,
            state=lot_state or None,
            filters=query.applied,
            page=page_no or 1,
            size=size or public.PAGE_SIZE,
        )
        if not query.errors
        else None
    )
    return page(
        request,
        "portal/home.html",
        status_code=400 if query.errors else 200,
        heads=heads,
        lots=lots,
        query=query,
        states=[s for s in LotState if s != LotState.DRAFT],
        **_common(await public.portal_centers(db_session)),
    )


@public_cache
@get("/announcements", name="portal-announcements")
async def announcements(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    settings: Settings,
    kind: Code = None,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    category: Code = None,
    q: Text = None,
    date_from: Annotated[str | None, Parameter(query="from", max_length=10)] = None,
    date_to: Annotated[str | None, Parameter(query="to", max_length=10)] = None,
    winner: Text = None,
    page_no: Annotated[int | None, Parameter(query="page")] = None,
    size: Annotated[int | None, Parameter(query="size")] = None,
) -> Template:
    """A channel: announcements of one kind (or all) and category, paged with the total."""
    _known_channel(kind, category)
    query = await _query(
        db_session,
        settings,
        _lang(request),
        center=center,
        category=category,
        q=q,
        date_from=date_from,
        date_to=date_to,
        winner=winner,
        kind=kind,
        size=str(size) if size else None,
    )
    listing = (
        await public.announcement_list(
            db_session,
            kind=kind or None,
            filters=query.applied,
            page=page_no or 1,
            size=size or public.PAGE_SIZE,
        )
        if not query.errors
        else None
    )
    return page(
        request,
        "portal/announcements.html",
        status_code=400 if query.errors else 200,
        listing=listing,
        query=query,
        kind=kind or "",
        feed_link=_feed_link(kind, category),
        **_common(await public.portal_centers(db_session)),
    )


def _known_channel(kind: str | None, category: str | None) -> None:
    """A channel is a kind and a category that exist; any other names no page."""
    if kind and kind not in {k.value for k in AnnouncementKind}:
        raise NotFound(f"没有该栏目 / no channel {kind!r}")
    if category and category not in {c.value for c in Category}:
        raise NotFound(f"没有该类别 / no category {category!r}")


def _feed_link(kind: str | None, category: str | None) -> str:
    query = urlencode({k: v for k, v in (("kind", kind), ("category", category)) if v})
    return "/announcements/feed.atom" + ("?" + query if query else "")


@public_cache
@get("/announcements/feed.atom", name="portal-feed")
async def announcements_feed(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    clock: Clock,
    kind: Code = None,
    category: Code = None,
) -> Response[bytes]:
    """The channel's newest announcements as an Atom 1.0 feed."""
    _known_channel(kind, category)
    entries = await public.feed_entries(db_session, kind or None, category or None)
    t = translator(_lang(request))
    channel = t(f"portal.channel.{kind or 'all'}")
    if category:
        channel += " · " + t(f"cat.{category}")
    base = str(request.base_url).rstrip("/")
    body = feed.atom(
        base=base,
        self_path=_feed_link(kind, category),
        title=t("portal.feed.title")
        .replace("{channel}", channel)
        .replace("{site}", t("site.title")),
        kind_label=lambda k: t(f"portal.channel.{k}"),
        entries=entries,
        now=clock.now(),
    )
    return Response(body, media_type=feed.MEDIA_TYPE)


@public_cache
@get("/lots/{lot_id:int}", name="lot")
async def lot_detail(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    lot = await public.lot_view(db_session, lot_id)
    if lot is None or (lot.state == LotState.DRAFT and request.user.user_id is None):
        raise NotFound(f"标段 {lot_id} 不存在 / lot {lot_id} not found")
    if lot.state == LotState.DRAFT:
        await projects.get_lot(db_session, lot_id, request.user)  # may this actor see it?
    history = await public.lot_history(db_session, lot.id)
    notices = await public.lot_announcements(db_session, lot.project_id, lot.id)
    return page(
        request,
        "portal/lot.html",
        lot=lot,
        history=history,
        announcements=notices,
        timeline=public.lot_timeline(history, notices),
        documents=await public.lot_documents(db_session, lot.id),
        questions=await public.lot_questions(db_session, lot.id),
        savings=public.award_savings(lot),
        decrypt_minutes=public.decrypt_minutes(lot),
    )


ROUTES = [portal, announcements, announcements_feed, lot_detail]
