"""The authorization matrix: every route of the app × every kind of caller × material of the
caller's own center and of another, from ONE table, on the real server.

The table says, per route and per object the path names, who gets through; everybody else
must be refused (401, 403 or 404), and listings must not show what the caller may not see.
The route list comes from the app itself: a new route without a row fails
`test_every_route_has_a_row`, so nobody adds a route without deciding who may call it.

Centers (demo seed): 450000 province → 450100 Nanning → 450102 Xingning (county); 450000 →
450200 Liuzhou. "own" material is Xingning's, "other" material is Liuzhou's; the callers are
named for where they stand relative to Xingning. What scope each one has is decided in one
place, trading/centers/scope.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from bidding.hall import service as objections
from bidding.hall.models import ResponseKind
from bidding.opening.flows import run_opening
from bidding.participation import service as participation
from bidding.submission.models import Bid
from bidhall.demo import (
    LotPlanDemo,
    demo_uscc,
    demo_user,
    register,
    register_and_publish,
    release_shares,
)
from bidhall.demo import submit_bids as seal_and_submit
from tests.support.clients import Client, bearer
from trading.audit.models import AuditEntry
from trading.auth.service import actor_for, create_user
from trading.centers import service as centers
from trading.centers.models import Center
from trading.enums import Category, LotState, Method, Role
from trading.kernel.actor import SYSTEM
from trading.kernel.clock import FixedClock
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.projects.models import Lot

# ---- the callers -------------------------------------------------------------------------------

CALLERS: dict[str, str | None] = {
    "anonymous": None,
    "bidder": "bidder-1",  # bids on every live and opened lot below
    "custodian": "custodian-450102-1",  # holds a key share of Xingning's lots, not Liuzhou's
    "expert": "expert-1",  # an evaluator from the shared pool (no center)
    "tenderer": "tenderer-1",  # owns every demo project, in any center
    "staff": "staff-450102",  # Xingning's own staff
    "staff_parent": "staff-450100",  # Nanning's staff: staff see their center, not below it
    "staff_other": "staff-450200",  # Liuzhou's staff
    "supervisor_parent": "supervisor-450100",  # Nanning's supervisor: Xingning is below it
    "supervisor_sibling": "supervisor-450200",  # Liuzhou's supervisor, beside Nanning
    "admin": "supervisor-450000",  # the top-level supervisor: every center, the whole log
}
EVERYONE = frozenset(CALLERS)
NOBODY: frozenset[str] = frozenset()
BIDDER = frozenset({"bidder"})
CUSTODIAN = frozenset({"custodian"})
PLATFORM = frozenset({"admin"})
# Unpublished work (drafts, their documents and history): the owner organization, the
# center's own staff, the supervisors above it.
OWN_DRAFTS = frozenset({"tenderer", "staff", "supervisor_parent", "admin"})
OTHER_DRAFTS = frozenset({"tenderer", "staff_other", "supervisor_sibling", "admin"})
# A center's own listing shows its drafts to those with the center in scope (not owners).
OWN_CENTER_DRAFTS = OWN_DRAFTS - {"tenderer"}
OTHER_CENTER_DRAFTS = OTHER_DRAFTS - {"tenderer"}
# Supervision material (audit bodies, bid metadata: who bids before the opening).
OWN_SUPERVISORS = frozenset({"supervisor_parent", "admin"})
OTHER_SUPERVISORS = frozenset({"supervisor_sibling", "admin"})
# Acting on a lot: its center's staff and its tenderer; some acts are staff-only.
OWN_MANAGERS = frozenset({"tenderer", "staff"})
OTHER_MANAGERS = frozenset({"tenderer", "staff_other"})
OWN_STAFF = frozenset({"staff"})
ALL_STAFF = frozenset({"staff", "staff_parent", "staff_other"})
# The center workspace's readers: every center's staff and every supervisor.
DESK = ALL_STAFF | {"supervisor_parent", "supervisor_sibling", "admin"}
OTHER_STAFF = frozenset({"staff_other"})

PLACES = {"own": "450102", "other": "450200"}
PARENT = "450100"


# ---- the world ---------------------------------------------------------------------------------


@dataclass
class Place:
    """One center's material: a draft, a lot taking bids, an opened lot, and what hangs on them."""

    code: str
    draft_project: int = 0
    draft_lot: int = 0
    draft_document: int = 0
    live_project: int = 0
    live_lot: int = 0
    live_document: int = 0
    question: int = 0
    opened_lot: int = 0
    objection: int = 0
    secret_entry: int = 0  # bidder-2's bid.submit on the live lot: who bids, before the opening
    public_entry: int = 0  # the opened lot's lot.publish: public since the opening

    @property
    def draft_title(self) -> str:
        return f"草稿项目-{self.code}"


@dataclass
class World:
    places: dict[str, Place] = field(default_factory=dict)
    platform_entry: int = 0  # an entry of no center (a bidder's key registration)


def plan(code: str, title: str) -> LotPlanDemo:
    return LotPlanDemo(
        center=code,
        title=title,
        lot_title="第1标段",
        category=Category.CONSTRUCTION,
        method=Method.OPEN_TENDER,
        budget=Decimal("9800000.00"),
        control_price=Decimal("9500000.00"),
        prices={},
    )


PRICES = {"bidder-1": "9100000.00", "bidder-2": "8950000.00", "bidder-3": "9230000.00"}


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def add_callers(rt: Runtime, clock: FixedClock) -> None:
    """The two callers the demo seed lacks: Liuzhou's supervisor and an expert."""
    async with rt.sessionmaker() as session, writing(session):
        liuzhou = await session.scalar(select(Center.id).where(Center.code == "450200"))
        await create_user(
            session,
            username="supervisor-450200",
            password="bidhall-demo-2026",
            display_name="柳州市电子监察",
            roles=[Role.SUPERVISOR],
            now=clock.now(),
            center_id=liuzhou,
        )
        await create_user(
            session,
            username="expert-1",
            password="bidhall-demo-2026",
            display_name="评标专家一",
            roles=[Role.EVALUATOR],
            now=clock.now(),
        )


async def add_document(rt: Runtime, place: Place, lot_id: int, clock: FixedClock) -> int:
    staff = actor_for(await demo_user(rt, f"staff-{place.code}"))
    staged = await rt.blobs.stage(_one_chunk(b"tender documents"), max_size=1 << 20)
    async with rt.sessionmaker() as session:
        doc = await participation.add_document(
            session, lot_id, staff, "招标文件.txt", staged, rt.blobs, now=clock.now()
        )
    return doc.id


async def build(rt: Runtime, clock: FixedClock) -> World:
    await add_callers(rt, clock)
    world = World(places={key: Place(code) for key, code in PLACES.items()})
    quiet: Callable[[str], None] = lambda _m: None  # noqa: E731
    bidder = actor_for(await demo_user(rt, "bidder-1"))
    opened: list[Lot] = []
    for place in world.places.values():
        lot = await register_and_publish(
            rt,
            plan(place.code, f"已开标项目-{place.code}"),
            issued=clock.now(),
            deadline=clock.now() + timedelta(days=21),
        )
        await seal_and_submit(rt, lot, PRICES, quiet)
        place.opened_lot = lot.id
        opened.append(lot)
    clock.advance(timedelta(days=1))
    for place in world.places.values():
        live = await register_and_publish(
            rt,
            plan(place.code, f"招标中项目-{place.code}"),
            issued=clock.now(),
            deadline=clock.now() + timedelta(days=21),
        )
        place.live_lot, place.live_project = live.id, live.project_id
        async with rt.sessionmaker() as session:
            await participation.register(session, live.id, bidder, now=clock.now())
            question = await participation.ask(
                session, live.id, bidder, "请澄清工期要求", now=clock.now()
            )
        place.question = question.id
        await seal_and_submit(rt, live, PRICES, quiet)
        place.live_document = await add_document(rt, place, live.id, clock)
        place.draft_project = await register(
            rt,
            plan(place.code, place.draft_title),
            issued=clock.now(),
            deadline=clock.now() + timedelta(days=21),
        )
        async with rt.sessionmaker() as session:
            place.draft_lot = (
                await session.scalar(select(Lot.id).where(Lot.project_id == place.draft_project))
                or 0
            )
            bidder2 = await demo_user(rt, "bidder-2")
            bid = await session.scalar(
                select(Bid).where(Bid.lot_id == live.id, Bid.bidder_org_id == bidder2.org_id)
            )
            assert bid is not None
            place.secret_entry = int(bid.receipt["audit_index"])
        place.draft_document = await add_document(rt, place, place.draft_lot, clock)
    # The opening, as the scheduler and the custodians run it; the objection window stays open.
    clock.set(opened[0].bid_deadline)
    for lot in opened:
        await run_opening(rt, lot.id)
        assert await release_shares(rt, lot.id, quiet) == LotState.OPENED
    clock.advance(timedelta(minutes=5))
    async with rt.sessionmaker() as session:
        for place in world.places.values():
            response = await objections.respond(
                session,
                place.opened_lot,
                bidder,
                ResponseKind.OBJECTION,
                "第二名报价计算有误",
                now=clock.now(),
                settings=rt.settings,
            )
            place.objection = response.id
            place.public_entry = (
                await session.scalar(
                    select(AuditEntry.seq).where(
                        AuditEntry.action == "lot.publish",
                        AuditEntry.target_id == str(place.opened_lot),
                    )
                )
                or 0
            )
        world.platform_entry = (
            await session.scalar(
                select(func.min(AuditEntry.seq)).where(AuditEntry.center_id.is_(None))
            )
            or 0
        )
    assert world.platform_entry and all(
        p.draft_lot and p.public_entry and p.secret_entry for p in world.places.values()
    )
    return world


# ---- the table ---------------------------------------------------------------------------------

Seen = Callable[[httpx.Response, Place], bool]


def draft_listed(response: httpx.Response, place: Place) -> bool:
    return place.draft_lot in {row["id"] for row in response.json()}


def draft_shown(response: httpx.Response, place: Place) -> bool:
    return place.draft_title in response.text


@dataclass(frozen=True)
class Case:
    """A request naming `what` of `place`; `allowed` get through, everyone else is refused."""

    place: str | None
    what: str | None
    allowed: frozenset[str]
    query: dict[str, Any] = field(default_factory=dict)
    # For listings: getting through means a 2xx that shows the object.
    seen: Seen | None = None


Body = Callable[[Place | None], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    cases: tuple[Case, ...]
    body: Body | None = None
    stream: bool = False  # server-sent events: only the status line is read


def row(*cases: Case, body: Body | None = None, stream: bool = False) -> Row:
    return Row(cases, body, stream)


def project_body(place: Place | None) -> dict[str, Any]:
    assert place is not None
    return {
        "json": {
            "title": "矩阵登记项目",
            "category": "construction",
            "method": "open_tender",
            "tenderer_uscc": demo_uscc(1),
            "center_code": place.code,
            "lots": [
                {
                    "title": "第1标段",
                    "budget": "100000.00",
                    "docs_issued_at": "2026-03-23T01:00:00+00:00",
                    "bid_deadline": "2026-04-20T01:00:00+00:00",
                }
            ],
        }
    }


def json_body(doc: dict[str, Any]) -> Body:
    return lambda _place: {"json": doc}


SEALED = {
    "content": b"not an envelope",
    "headers": {"content-type": "application/octet-stream", "x-bid-signature": "AAAA"},
}
DOCUMENT = {"content": b"addendum", "headers": {"x-file-name": "addendum.txt"}}
TEXT = json_body({"text": "矩阵测试的文字"})
EXPERTS_CSV = b"code,name,username,specialties,region,employer\n"  # the header only: no rows

# Every route of the app, keyed as the app's route table names it.
MATRIX: dict[tuple[str, str], Row] = {
    # -- portal, projects, lots
    ("GET", "/"): row(Case("own", "draft", NOBODY, seen=draft_shown)),
    # The portal's channels and their feeds list published announcements only.
    ("GET", "/announcements"): row(Case("own", "draft", NOBODY, seen=draft_shown)),
    ("GET", "/announcements/feed.atom"): row(Case("own", "draft", NOBODY, seen=draft_shown)),
    ("GET", "/lots/{lot_id:int}"): row(
        Case("own", "draft", OWN_DRAFTS),
        Case("other", "draft", OTHER_DRAFTS),
        Case("own", "live", EVERYONE),
    ),
    ("GET", "/api/v1/lots"): row(Case("own", "draft", NOBODY, seen=draft_listed)),
    ("GET", "/api/v1/projects/{project_id:int}"): row(
        Case("own", "draft", OWN_DRAFTS),
        Case("other", "draft", OTHER_DRAFTS),
        Case("own", "live", EVERYONE),
    ),
    ("POST", "/api/v1/projects"): row(
        Case("own", None, OWN_MANAGERS), Case("other", None, OTHER_MANAGERS), body=project_body
    ),
    # -- centers and statistics
    ("GET", "/api/v1/centers"): row(Case(None, None, EVERYONE)),
    ("GET", "/api/v1/centers/{code:str}"): row(Case("own", "center", EVERYONE)),
    ("GET", "/api/v1/centers/{code:str}/lots"): row(
        Case("own", "center", OWN_CENTER_DRAFTS, seen=draft_listed),
        Case("other", "center", OTHER_CENTER_DRAFTS, seen=draft_listed),
        Case("own", "parent", OWN_CENTER_DRAFTS, {"scope": "subtree"}, seen=draft_listed),
    ),
    ("GET", "/api/v1/centers/{code:str}/audit"): row(
        Case("own", "center", OWN_SUPERVISORS),
        Case("other", "center", OTHER_SUPERVISORS),
        Case("own", "parent", OWN_SUPERVISORS),
    ),
    ("GET", "/api/v1/centers/{code:str}/bids"): row(
        Case("own", "center", OWN_SUPERVISORS),
        Case("other", "center", OTHER_SUPERVISORS),
        Case("own", "parent", OWN_SUPERVISORS, {"scope": "subtree"}),
    ),
    ("GET", "/api/v1/stats"): row(Case(None, None, EVERYONE)),
    ("GET", "/api/v1/stats.csv"): row(Case(None, None, EVERYONE)),
    ("GET", "/centers"): row(Case(None, None, EVERYONE)),
    ("GET", "/centers/{code:str}"): row(
        Case("own", "center", OWN_CENTER_DRAFTS, seen=draft_shown),
        Case("other", "center", OTHER_CENTER_DRAFTS, seen=draft_shown),
    ),
    ("GET", "/stats"): row(Case(None, None, EVERYONE)),
    # -- the audit log
    ("GET", "/api/v1/audit/entries"): row(Case(None, None, PLATFORM)),
    ("GET", "/api/v1/audit/entries/{seq:int}"): row(
        Case("own", "secret_entry", OWN_SUPERVISORS),
        Case("other", "secret_entry", OTHER_SUPERVISORS),
        Case(None, "platform_entry", PLATFORM),
        Case("own", "public_entry", EVERYONE),
    ),
    ("GET", "/api/v1/audit/entries/public"): row(Case(None, None, EVERYONE)),
    ("GET", "/api/v1/audit/lots/{lot_id:int}"): row(
        Case("own", "draft", OWN_DRAFTS),
        Case("other", "draft", OTHER_DRAFTS),
        Case("own", "live", EVERYONE),
    ),
    ("GET", "/api/v1/audit/heads"): row(Case(None, None, EVERYONE)),
    ("GET", "/api/v1/audit/heads/latest"): row(Case(None, None, EVERYONE)),
    ("GET", "/api/v1/audit/leaves"): row(Case(None, None, EVERYONE)),
    ("GET", "/api/v1/audit/proof/inclusion"): row(Case(None, None, EVERYONE, {"seq": 1})),
    ("GET", "/api/v1/audit/proof/consistency"): row(Case(None, None, EVERYONE, {"first": 1})),
    ("GET", "/transparency"): row(Case(None, None, EVERYONE)),
    # -- participation
    ("POST", "/api/v1/lots/{lot_id:int}/registration"): row(
        Case("own", "live", BIDDER), Case("other", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/documents"): row(
        Case("own", "live", OWN_MANAGERS),
        Case("other", "live", OTHER_MANAGERS),
        body=lambda _p: DOCUMENT,
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/documents"): row(
        Case("own", "draft", OWN_DRAFTS),
        Case("other", "draft", OTHER_DRAFTS),
        Case("own", "live", EVERYONE),
    ),
    # Downloads: those who see the center's work, and bidders registered for the lot.
    ("GET", "/api/v1/documents/{document_id:int}"): row(
        Case("own", "draft_document", OWN_DRAFTS),
        Case("other", "draft_document", OTHER_DRAFTS),
        Case("own", "live_document", OWN_DRAFTS | BIDDER),
        Case("other", "live_document", OTHER_DRAFTS | BIDDER),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/questions"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY), body=TEXT
    ),
    ("POST", "/api/v1/questions/{question_id:int}/answer"): row(
        Case("own", "question", OWN_MANAGERS),
        Case("other", "question", OTHER_MANAGERS),
        body=TEXT,
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/questions"): row(
        Case("own", "draft", OWN_DRAFTS),
        Case("other", "draft", OTHER_DRAFTS),
        Case("own", "live", EVERYONE),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/amendments"): row(
        Case("own", "live", OWN_MANAGERS),
        Case("other", "live", OTHER_MANAGERS),
        body=json_body({"title": "矩阵补遗", "affects_bids": False}),
    ),
    ("PUT", "/api/v1/lots/{lot_id:int}/security"): row(
        Case("own", "live", BIDDER),
        Case("own", "draft", NOBODY),
        body=json_body({"amount": "1000.00", "form": "保函", "reference": "BG-1"}),
    ),
    ("GET", "/api/v1/me/notices"): row(Case(None, None, BIDDER)),
    ("GET", "/api/v1/lots/{lot_id:int}/participation"): row(
        Case("own", "live", BIDDER), Case("other", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    # -- submission and supervision of bids
    ("POST", "/api/v1/lots/{lot_id:int}/bids"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY), body=lambda _p: SEALED
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/bids/mine"): row(Case("own", "live", BIDDER)),
    ("GET", "/bidder"): row(Case(None, None, BIDDER)),
    ("GET", "/bidder/lots/{lot_id:int}"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    # A bidder's own result: only where its bid was decided at the opening (none on a live lot).
    ("GET", "/bidder/lots/{lot_id:int}/result"): row(
        Case("own", "opened", BIDDER), Case("own", "live", NOBODY), Case("own", "draft", NOBODY)
    ),
    ("GET", "/api/v1/me/lots/{lot_id:int}/result"): row(
        Case("own", "opened", BIDDER), Case("own", "live", NOBODY), Case("own", "draft", NOBODY)
    ),
    # -- the opening
    ("POST", "/api/v1/lots/{lot_id:int}/bids/mine/file-key"): row(
        Case("own", "live", BIDDER),
        Case("own", "draft", NOBODY),
        body=json_body({"file_key": "A" * 43}),
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/custody/mine"): row(
        Case("own", "live", CUSTODIAN), Case("other", "live", NOBODY)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/custody/release"): row(
        Case("own", "live", CUSTODIAN),
        Case("other", "live", NOBODY),
        body=json_body({"share": {}}),
    ),
    # 签到 and the bidder's own part in the opening (before/after/twice/no bid/raced:
    # tests/bidding/opening/test_opening_window.py); a bidder's own bid only.
    ("POST", "/api/v1/lots/{lot_id:int}/opening/check-in"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/opening/mine"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/bids/mine/header"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/opening"): row(
        Case("own", "opened", OWN_STAFF), Case("other", "opened", OTHER_STAFF)
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/opening"): row(
        Case("own", "opened", EVERYONE),
        Case("own", "live", NOBODY),  # no record before the opening, for anyone
    ),
    ("GET", "/custodian"): row(Case(None, None, CUSTODIAN)),
    ("GET", "/custodian/lots/{lot_id:int}"): row(
        Case("own", "live", CUSTODIAN), Case("other", "live", NOBODY)
    ),
    # -- the center workspace: staff of a center and the supervisors above it; each sees its own
    # center by default, and a center of its scope by ?center=
    ("GET", "/center"): row(
        Case(None, None, DESK), Case("own", None, OWN_CENTER_DRAFTS, {"center": "450102"})
    ),
    ("GET", "/center/lots"): row(
        Case(None, None, DESK), Case("own", None, OWN_CENTER_DRAFTS, {"center": "450102"})
    ),
    ("GET", "/center/lots/{lot_id:int}"): row(
        Case("own", "draft", OWN_CENTER_DRAFTS), Case("other", "draft", OTHER_CENTER_DRAFTS)
    ),
    ("GET", "/center/orgs"): row(Case(None, None, DESK)),
    # Company claims: listed for the claim's center's staff and the supervisors above it (this
    # world has none, so every desk reader sees an empty list); who decides, per center, is in
    # tests/trading/parties/test_claims.py.
    ("GET", "/center/claims"): row(Case(None, None, DESK)),
    ("GET", "/api/v1/claims"): row(Case(None, None, DESK)),
    # The caller's own company: bidders (bidder-1 administers its demo company).
    ("GET", "/bidder/company"): row(Case(None, None, BIDDER)),
    ("GET", "/api/v1/me/company"): row(Case(None, None, BIDDER)),
    ("GET", "/api/v1/organizations"): row(Case(None, None, DESK | {"tenderer"})),
    ("GET", "/center/projects/new"): row(Case(None, None, ALL_STAFF)),
    ("GET", "/center/projects/{project_id:int}/edit"): row(
        Case("own", "draft", OWN_STAFF), Case("other", "draft", OTHER_STAFF)
    ),  # the edit form is the staff's own; supervisors read the lot desk
    ("PUT", "/api/v1/projects/{project_id:int}"): row(
        Case("own", "draft", OWN_MANAGERS),
        Case("other", "draft", OTHER_MANAGERS),
        body=project_body,
    ),
    # -- the lot desk's tabs (center workspace): the center's staff act, supervisors above read
    ("GET", "/center/lots/{lot_id:int}/documents"): row(
        Case("own", "live", OWN_CENTER_DRAFTS), Case("other", "live", OTHER_CENTER_DRAFTS)
    ),
    ("GET", "/center/lots/{lot_id:int}/questions"): row(
        Case("own", "live", OWN_CENTER_DRAFTS), Case("other", "live", OTHER_CENTER_DRAFTS)
    ),
    ("GET", "/center/lots/{lot_id:int}/opening"): row(
        Case("own", "opened", OWN_CENTER_DRAFTS), Case("other", "live", OTHER_CENTER_DRAFTS)
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/opening/desk"): row(
        Case("own", "opened", OWN_CENTER_DRAFTS), Case("other", "live", OTHER_CENTER_DRAFTS)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/opening/reminders"): row(
        Case("own", "live", OWN_STAFF), Case("other", "live", OTHER_STAFF)
    ),
    ("GET", "/center/lots/{lot_id:int}/evaluation"): row(
        Case("own", "opened", OWN_CENTER_DRAFTS), Case("other", "opened", OTHER_CENTER_DRAFTS)
    ),
    # -- the hall, the record, responses to it
    ("GET", "/lots/{lot_id:int}/hall"): row(
        Case("own", "draft", OWN_DRAFTS),
        Case("other", "draft", OTHER_DRAFTS),
        Case("own", "live", EVERYONE),
    ),
    ("GET", "/lots/{lot_id:int}/hall/events"): row(
        Case("own", "draft", OWN_DRAFTS), Case("own", "live", EVERYONE), stream=True
    ),
    ("GET", "/lots/{lot_id:int}/opening"): row(
        Case("own", "opened", EVERYONE), Case("own", "draft", NOBODY)
    ),
    ("GET", "/lots/{lot_id:int}/opening.pdf"): row(Case("own", "opened", EVERYONE)),
    ("GET", "/api/v1/lots/{lot_id:int}/opening/responses"): row(
        Case("own", "opened", EVERYONE), Case("own", "live", NOBODY)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/opening/confirm"): row(
        Case("own", "opened", BIDDER), Case("other", "opened", BIDDER)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/opening/objections"): row(
        Case("own", "opened", BIDDER), body=TEXT
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/opening/objections/{response_id:int}/answer"): row(
        Case("own", "opened", OWN_STAFF), Case("other", "opened", OTHER_STAFF), body=TEXT
    ),
    # -- evaluation and award
    ("GET", "/api/v1/lots/{lot_id:int}/evaluation"): row(
        Case("own", "opened", NOBODY),  # public from the publicity on; not yet
        Case("own", "draft", NOBODY),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/evaluate"): row(
        Case("own", "opened", OWN_MANAGERS), Case("other", "opened", OTHER_MANAGERS)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/candidates"): row(
        Case("own", "opened", OWN_MANAGERS), Case("other", "opened", OTHER_MANAGERS)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/award"): row(
        Case("own", "opened", OWN_MANAGERS), Case("other", "opened", OTHER_MANAGERS)
    ),
    # -- the expert pool and the committee draw: the center's staff act, supervisors above read
    # the pages. This world has no experts: a draw by the allowed is a 409 (pool too small), a
    # decline with a blank reason a 422 — both past the authorization. What each caller reads of
    # a drawn committee, before and after the award: tests/evaluation/experts/test_api.py.
    ("GET", "/center/experts"): row(
        Case("own", "center", OWN_CENTER_DRAFTS, {"center": PLACES["own"]}),
        Case("other", "center", OTHER_CENTER_DRAFTS, {"center": PLACES["other"]}),
    ),
    ("GET", "/api/v1/centers/{code:str}/experts/export.csv"): row(
        Case("own", "center", OWN_STAFF), Case("other", "center", OTHER_STAFF)
    ),
    ("POST", "/api/v1/centers/{code:str}/experts/import"): row(
        Case("own", "center", OWN_STAFF),
        Case("other", "center", OTHER_STAFF),
        body=lambda _p: {"content": EXPERTS_CSV, "headers": {"content-type": "text/csv"}},
    ),
    ("GET", "/center/lots/{lot_id:int}/committee"): row(
        Case("own", "live", OWN_CENTER_DRAFTS), Case("other", "live", OTHER_CENTER_DRAFTS)
    ),
    ("GET", "/api/v1/lots/{lot_id:int}/committee"): row(
        Case("own", "live", NOBODY),  # nothing drawn: 404 for anyone
        Case("own", "draft", NOBODY),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/committee"): row(
        Case("own", "live", OWN_STAFF),
        Case("other", "live", OTHER_STAFF),
        body=json_body({"demand": [{"specialty": "A01", "count": 5}]}),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/committee/declines"): row(
        Case("own", "live", OWN_STAFF),
        Case("other", "live", OTHER_STAFF),
        body=json_body({"code": "E0001", "reason": "  "}),
    ),
    # -- accounts, platform
    ("GET", "/api/v1/me/keys"): row(Case(None, None, BIDDER | CUSTODIAN)),
    ("GET", "/keys"): row(Case(None, None, BIDDER | CUSTODIAN | {"expert"})),
    ("GET", "/api/v1/platform/key"): row(Case(None, None, EVERYONE)),
    ("GET", "/healthz"): row(Case(None, None, EVERYONE)),
    ("GET", "/login"): row(Case(None, None, EVERYONE)),
    # -- last, the writes that change what the rows above name (drafts, live bids)
    ("DELETE", "/api/v1/lots/{lot_id:int}/bids"): row(
        Case("own", "live", BIDDER), Case("own", "draft", NOBODY)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/publish"): row(
        Case("own", "draft", OWN_MANAGERS), Case("other", "draft", OTHER_MANAGERS)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/cancel"): row(
        Case("own", "live", OWN_MANAGERS),
        Case("other", "live", OTHER_MANAGERS),
        body=json_body({"reason": "矩阵测试终止"}),
    ),
}

# Routes that read or change no center's material, each with the reason it is not in MATRIX.
NOT_CENTER_SCOPED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/token"): "signing in",
    ("POST", "/api/v1/auth/signup"): "signing up (an account with no rights until approved)",
    ("GET", "/signup"): "the sign-up form",
    ("POST", "/signup"): "signing up; its tests are in tests/trading/parties/test_signup_pages.py",
    ("GET", "/account"): "the caller's own account and claims",
    ("POST", "/account/claims"): "form; twin POST /api/v1/me/claims",
    ("GET", "/api/v1/me/claims"): "the caller's own claims",
    ("POST", "/api/v1/me/claims"): "the caller's own claim; see test_claims.py",
    # A claim is decided by its center's staff (supervisors above read it and its licence); this
    # world has no claims: who may, per center, is in tests/trading/parties/test_claims.py.
    ("GET", "/api/v1/claims/{claim_id:int}/licence"): "claim-scoped; see test_claims.py",
    ("POST", "/api/v1/claims/{claim_id:int}/approve"): "claim-scoped; see test_claims.py",
    ("POST", "/api/v1/claims/{claim_id:int}/reject"): "claim-scoped; see test_claims.py",
    ("POST", "/center/claims/{claim_id:int}/{decision:str}"): "form; twins .../approve, /reject",
    # The company's administrator manages its users (tests/trading/parties/test_company.py);
    # inviting or removing would change bidder-1's company for the rows above.
    ("POST", "/api/v1/me/company/invitations"): "the caller's own company; see test_company.py",
    ("POST", "/api/v1/me/company/invitations/{invitation_id:int}/revoke"): "own company",
    ("DELETE", "/api/v1/me/company/members/{user_id:int}"): "own company; see test_company.py",
    ("POST", "/bidder/company/invitations"): "form; twin POST /api/v1/me/company/invitations",
    ("POST", "/bidder/company/invitations/{invitation_id:int}/revoke"): "form; twin .../revoke",
    ("POST", "/bidder/company/members/{user_id:int}/remove"): "form; twin DELETE .../members/{id}",
    # The bidder lot page's forms (CSRF-bound) and its receipt downloads (the caller's own bid;
    # another's is 404): tests/bidding/participation/test_enforcement.py, test_receipts.py.
    ("POST", "/bidder/lots/{lot_id:int}/registration"): "form; twin POST .../registration",
    ("POST", "/bidder/lots/{lot_id:int}/security"): "form; twin PUT .../security",
    ("POST", "/bidder/lots/{lot_id:int}/questions"): "form; twin POST .../questions",
    ("GET", "/bidder/lots/{lot_id:int}/bids/{bid_id:int}/receipt.json"): "own bid's receipt",
    ("GET", "/bidder/lots/{lot_id:int}/bids/{bid_id:int}/receipt.pdf"): "own bid's receipt",
    ("POST", "/login"): "signing in",
    ("POST", "/logout"): "signing out",
    ("PUT", "/api/v1/me/keys"): "the caller's own keys (rotating them would end the world)",
    ("POST", "/api/v1/me/keys/{key_id:int}/revoke"): (
        "the caller's own keys (revoking them would end the world); another's key is 404:"
        " tests/trading/parties/test_key_revocation.py"
    ),
    ("POST", "/keys/revoke"): "form; twin POST /api/v1/me/keys/{key_id:int}/revoke",
    ("POST", "/lots/{lot_id:int}/hall/check-in"): "form; twin POST .../opening/check-in",
    ("POST", "/lots/{lot_id:int}/hall/respond"): (
        "form; twins POST .../opening/confirm and .../opening/objections:"
        " tests/bidding/hall/test_respond_plain.py"
    ),
    ("POST", "/custodian/lots/{lot_id:int}/release"): (
        "the page's form, bound to a browser session's CSRF token; its API twin"
        " POST /api/v1/lots/{lot_id:int}/custody/release is in MATRIX"
    ),
    # The lot desk's forms: bound to a browser session's CSRF token (a bearer caller is refused
    # by all of them); each calls the service of an API twin in MATRIX, and their own who-may
    # tests are tests/*/test_desk_*.py.
    ("POST", "/center/lots/{lot_id:int}/documents"): "form; twin POST .../documents",
    ("POST", "/center/lots/{lot_id:int}/amendments"): "form; twin POST .../amendments",
    ("POST", "/center/lots/{lot_id:int}/questions/{question_id:int}/answer"): (
        "form; twin POST /api/v1/questions/{question_id:int}/answer"
    ),
    ("POST", "/center/lots/{lot_id:int}/opening/start"): "form; twin POST .../opening",
    ("POST", "/center/lots/{lot_id:int}/opening/remind"): "form; twin POST .../opening/reminders",
    ("POST", "/center/lots/{lot_id:int}/evaluation/{action:str}"): (
        "form; twins POST .../evaluate, .../candidates, .../award"
    ),
    ("POST", "/center/lots/{lot_id:int}/committee"): "form; twin POST .../committee",
    ("POST", "/center/lots/{lot_id:int}/committee/declines"): (
        "form; twin POST .../committee/declines"
    ),
    # The pool page's forms act on the caller's own center only (no center in the request);
    # their who-may tests are tests/evaluation/experts/test_pages.py.
    ("POST", "/center/experts/import"): "form; twin POST /api/v1/centers/{code}/experts/import",
    ("POST", "/center/experts/policy"): "form; the caller's own center's draw policy",
    # The workspace's project and lot forms: bound to a browser session's CSRF token; each calls
    # the service of an API twin in MATRIX, and their who-may tests are in
    # tests/bidding/workspace/test_workspace_pages.py. Deleting a draft is destructive (a second
    # allowed caller finds nothing): its who-may tests are in tests/trading/projects/test_drafts.py.
    ("POST", "/center/projects/new"): "form; twin POST /api/v1/projects",
    ("POST", "/center/projects/{project_id:int}/edit"): "form; twin PUT /api/v1/projects/{id}",
    ("POST", "/center/projects/{project_id:int}/delete"): "form; twin DELETE .../projects/{id}",
    ("POST", "/center/lots/{lot_id:int}/publish"): "form; twin POST .../lots/{id}/publish",
    ("POST", "/center/lots/{lot_id:int}/cancel"): "form; twin POST .../lots/{id}/cancel",
    ("DELETE", "/api/v1/projects/{project_id:int}"): "destructive; see test_drafts.py",
    # Announcements and award letters: their who-may tests (drafts and sandbox 404 to the
    # public and to other centers, another bidder's letter 404, publishing staff-only, the form's
    # CSRF) are in tests/trading/announcements/test_announcements.py.
    ("GET", "/announcements/{announcement_id:int}"): "announcement page; see its tests",
    ("GET", "/api/v1/announcements/{announcement_id:int}"): "announcement; see its tests",
    ("POST", "/announcements/{announcement_id:int}/publish"): "form; twin POST .../publish",
    ("POST", "/api/v1/announcements/{announcement_id:int}/publish"): "staff; see its tests",
    ("GET", "/api/v1/me/letters"): "the caller's own letters (by its organization)",
    ("GET", "/api/v1/letters/{letter_id:int}/letter.pdf"): "addressee only; see its tests",
    # The expert workspace is scoped to a seat on the lot's committee, not to a center: anyone
    # not seated gets 404, a declined member 403, other roles 403, the public 401. Its who-may
    # tests (other experts, the chair, bidders, staff, supervisors, the public, CSRF) are in
    # tests/evaluation/scoring/test_scoring_api.py and test_scoring_service.py.
    ("GET", "/expert"): "the caller's own committees",
    ("GET", "/expert/lots/{lot_id:int}"): "seat-scoped; see tests/evaluation/scoring",
    ("POST", "/expert/lots/{lot_id:int}/declaration"): "form; twin POST .../declaration",
    ("POST", "/expert/lots/{lot_id:int}/sheet"): "form; twin POST .../sheet",
    ("POST", "/expert/lots/{lot_id:int}/deviations"): "form; twin POST .../deviations",
    ("POST", "/expert/lots/{lot_id:int}/finalise"): "form; twin POST .../finalise",
    ("GET", "/api/v1/expert/lots/{lot_id:int}"): "seat-scoped; see tests/evaluation/scoring",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/declaration"): "seat-scoped; see its tests",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/sheet"): "seat-scoped; see its tests",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/deviations"): "seat-scoped; see its tests",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/finalise"): "seat-scoped (the chair); see its tests",
    # The evaluation report: read by a seated member or the lot desk (its center's staff act,
    # supervisors above read), signed by members, a re-evaluation opened by the chair or the
    # lot's staff. This world has no committee; who may, as attacks, is in
    # tests/evaluation/report/test_report_pages.py, test_report_service.py, test_re_evaluation.py.
    ("GET", "/expert/lots/{lot_id:int}/report"): "seat-scoped; see tests/evaluation/report",
    ("GET", "/expert/lots/{lot_id:int}/report.pdf"): "seat-scoped; see tests/evaluation/report",
    ("POST", "/expert/lots/{lot_id:int}/report/sign"): "form; twin POST .../report/signatures",
    ("POST", "/expert/lots/{lot_id:int}/report/re-evaluation"): "form; twin .../re-evaluations",
    ("GET", "/center/lots/{lot_id:int}/evaluation/report"): "desk rule; see its tests",
    ("GET", "/center/lots/{lot_id:int}/evaluation/report.pdf"): "desk rule; see its tests",
    ("POST", "/center/lots/{lot_id:int}/evaluation/report/re-evaluation"): "form; twin below",
    ("GET", "/api/v1/lots/{lot_id:int}/evaluation/report"): "seat or desk; see its tests",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/report/signatures"): "seat-scoped; see its tests",
    ("POST", "/api/v1/lots/{lot_id:int}/evaluation/re-evaluations"): "chair or desk; its tests",
    # Clarifications (澄清): the committee's side is seat-scoped like the desk; the bidder's side
    # is the caller's own company's (another company's is a 404). Who-may tests (outsider expert,
    # member vs chair, other bidder, staff, supervisor, the public, CSRF, late, twice, raced) in
    # tests/evaluation/clarify/test_clarify.py.
    ("GET", "/expert/lots/{lot_id:int}/clarifications"): "seat-scoped; see its tests",
    ("POST", "/expert/lots/{lot_id:int}/clarifications"): "form; twin POST .../clarifications",
    ("POST", "/expert/lots/{lot_id:int}/clarifications/{clarification_id:int}/send"): "form; twin",
    ("GET", "/expert/lots/{lot_id:int}/clarifications/{clarification_id:int}/file"): "seat-scoped",
    ("GET", "/api/v1/expert/lots/{lot_id:int}/clarifications"): "seat-scoped; see its tests",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/clarifications"): "seat-scoped; see its tests",
    ("POST", "/api/v1/expert/lots/{lot_id:int}/clarifications/{clarification_id:int}/send"): (
        "seat-scoped (the chair); see its tests"
    ),
    ("GET", "/bidder/clarifications"): "the caller's own company's clarifications",
    ("POST", "/bidder/clarifications/{clarification_id:int}/answer"): "form; twin POST .../answer",
    ("GET", "/api/v1/bidder/clarifications"): "the caller's own company's clarifications",
    ("POST", "/api/v1/bidder/clarifications/{clarification_id:int}/answer"): (
        "the clarification's own company only; see tests/evaluation/clarify"
    ),
}
FRAMEWORK = ("/static/", "/schema/")  # static files and the OpenAPI documents

# Cells known to answer otherwise than MATRIX says, each with its reason. The matrix test
# fails once one is fixed, so the entry goes with the fix.
GAPS: dict[tuple[str, str, str | None, str | None, str], str] = {}


def app_routes(rt: Runtime) -> set[tuple[str, str]]:
    from bidhall.app import create_app

    app = create_app(rt.settings, runtime=rt, check_schema=False)
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if route.path == "/schema" or route.path.startswith(FRAMEWORK):
            continue
        for handler in route.route_handlers:
            for method in getattr(handler, "http_methods", ()):
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path))
    return found


def test_every_route_has_a_row(rt: Runtime) -> None:
    """A route nobody decided about fails here; so does a row for a route that is gone."""
    routes = app_routes(rt)
    missing = routes - MATRIX.keys() - NOT_CENTER_SCOPED.keys()
    assert not missing, f"routes without a row in the authorization matrix: {sorted(missing)}"
    stale = (MATRIX.keys() | NOT_CENTER_SCOPED.keys()) - routes
    assert not stale, f"rows for routes the app no longer has: {sorted(stale)}"
    assert not MATRIX.keys() & NOT_CENTER_SCOPED.keys()


# ---- running it --------------------------------------------------------------------------------

REFUSED = {401, 403, 404}


def target(world: World, case: Case) -> tuple[Place | None, dict[str, Any]]:
    """The place and the path parameters a case names."""
    if case.place is None:
        return None, {"seq": world.platform_entry}
    p = world.places[case.place]
    params: dict[str, dict[str, Any]] = {
        "draft": {"lot_id": p.draft_lot, "project_id": p.draft_project},
        "live": {"lot_id": p.live_lot, "project_id": p.live_project},
        "opened": {"lot_id": p.opened_lot, "response_id": p.objection},
        "center": {"code": p.code},
        "parent": {"code": PARENT},
        "draft_document": {"document_id": p.draft_document},
        "live_document": {"document_id": p.live_document},
        "question": {"question_id": p.question},
        "secret_entry": {"seq": p.secret_entry},
        "public_entry": {"seq": p.public_entry},
    }
    return p, params.get(case.what or "", {})


def fill(path: str, params: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in params, f"{path}: the case names no {name}"
        return str(params[name])

    return re.sub(r"\{(\w+):\w+\}", one, path)


async def call(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    query: dict[str, Any],
    send: dict[str, Any],
    stream: bool,
) -> httpx.Response:
    merged = {**headers, **send.get("headers", {})}
    kwargs = {k: v for k, v in send.items() if k != "headers"}
    if stream:
        async with http.stream(method, path, headers=merged, params=query) as response:
            return response  # the status line is the answer; the stream is left
    return await http.request(method, path, headers=merged, params=query, **kwargs)


def verdict(response: httpx.Response, place: Place | None, case: Case, write: bool) -> str:
    """One cell's answer: through, refused, or unexpected (a 5xx, a read that is not 2xx)."""
    status = response.status_code
    if status in REFUSED:
        return "refused"
    if status >= 500 or (not write and not 200 <= status < 300):
        return f"unexpected {status}"
    if case.seen is not None:
        assert place is not None
        return "through" if case.seen(response, place) else "refused"
    return "through"


async def test_authorization_matrix(rt: Runtime, clock: FixedClock, live_server: str) -> None:
    world = await build(rt, clock)
    mismatches: list[str] = []
    known: list[Any] = []
    fixed: list[Any] = []
    cells = 0
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        headers = {
            name: await bearer(http, username) if username else {}
            for name, username in CALLERS.items()
        }
        # Reads first, on the world as built; then the writes, each refused caller before
        # the allowed ones, so nothing a refusal is checked against was changed by a success.
        ordered = sorted(MATRIX.items(), key=lambda item: item[0][0] != "GET")
        for (method, path), spec in ordered:
            write = method != "GET"
            for case in spec.cases:
                place, params = target(world, case)
                url = fill(path, params)
                send = spec.body(place) if spec.body else {}
                for name in sorted(CALLERS, key=lambda n: n in case.allowed):
                    response = await call(
                        http, method, url, headers[name], case.query, send, spec.stream
                    )
                    cells += 1
                    got = verdict(response, place, case, write)
                    want = "through" if name in case.allowed else "refused"
                    gap = (method, path, case.place, case.what, name)
                    if gap in GAPS:
                        (known if got != want else fixed).append(gap)
                    elif got != want:
                        mismatches.append(
                            f"{method} {url} {case.query or ''} as {name}: {got}"
                            f" ({response.status_code}), expected {want}"
                        )
    assert not mismatches, f"{len(mismatches)} of {cells} cells wrong:\n" + "\n".join(mismatches)
    assert not fixed, f"these now answer as MATRIX says: remove them from GAPS: {fixed}"
    assert sorted(known) == sorted(GAPS), "a GAPS entry names no cell of MATRIX"


async def test_a_city_supervisor_cannot_read_who_bids_in_a_sibling_city(
    rt: Runtime, clock: FixedClock, live_server: str
) -> None:
    """The leak this matrix was built for, as the attack: Liuzhou's live lot's bid entry, read
    before the opening by Nanning's supervisor (and by staff, a bidder, the public) through
    every route that holds it; Nanning's supervisor still reads its own subtree's."""
    world = await build(rt, clock)
    liuzhou, xingning = world.places["other"], world.places["own"]
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        for who in ("supervisor_parent", "staff", "bidder", "anonymous"):
            username = CALLERS[who]
            headers = await bearer(http, username) if username else {}
            single = await http.get(
                f"/api/v1/audit/entries/{liuzhou.secret_entry}", headers=headers
            )
            assert single.status_code == 404, (who, single.text)
            refused = [
                await http.get(path, headers=headers)
                for path in (
                    "/api/v1/audit/entries",
                    "/api/v1/centers/450200/audit",
                    "/api/v1/centers/450200/bids",
                )
            ]
            assert [r.status_code for r in refused] == [403 if username else 401] * 3, who
            for r in (single, *refused):
                assert "bid.submit" not in r.text and "client_ip" not in r.text, who
            mine = await http.get(f"/api/v1/audit/entries/{xingning.secret_entry}", headers=headers)
            assert mine.status_code == (200 if who == "supervisor_parent" else 404), who
            if who == "supervisor_parent":
                assert json.loads(mine.json()["body"])["action"] == "bid.submit"


async def test_a_second_province_ends_the_whole_log_for_the_first(
    rt: Runtime, clock: FixedClock, client: Client
) -> None:
    """The whole log is for whoever supervises every center. With a second province on the
    platform, Guangxi's top supervisor is one subtree among two: it reads its own province's
    entries, not Guizhou's, and no longer the whole log (entries of no center included)."""
    async with rt.sessionmaker() as session:
        guizhou = await centers.add_center(
            session, SYSTEM, code="520000", name="贵州省公共资源交易中心", now=clock.now()
        )
        guizhou_entry = await session.scalar(
            select(AuditEntry.seq).where(AuditEntry.center_id == guizhou.id)
        )
        no_center = await session.scalar(
            select(func.min(AuditEntry.seq)).where(AuditEntry.center_id.is_(None))
        )
    guangxi = await bearer(client, "supervisor-450000")
    assert (await client.get("/api/v1/audit/entries", headers=guangxi)).status_code == 403
    for seq in (guizhou_entry, no_center):
        r = await client.get(f"/api/v1/audit/entries/{seq}", headers=guangxi)
        assert r.status_code == 404, (seq, r.text)
    for kind in ("audit", "bids"):
        foreign = await client.get(f"/api/v1/centers/520000/{kind}", headers=guangxi)
        assert foreign.status_code == 403, foreign.text
        assert (await client.get(f"/api/v1/centers/450000/{kind}", headers=guangxi)).is_success
