"""Building blocks of a tender, done as its users would: register, publish, seal and
submit, release shares, evaluate and award. The demo, tests and benches drive these."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.client.sealing import seal_bid
from bidding.opening import flows as openings
from bidding.participation import service as participation
from bidding.participation.models import BidSecurity
from bidding.submission import service as submission
from bidhall.demo.accounts import demo_identity, demo_uscc, demo_user
from bidhall.deps import provide_method_check
from crypto.custody import CustodyBundle, open_share
from crypto.encoding import b64u_decode
from crypto.labels import envelope_lot_id
from evaluation.award import service as evaluation
from trading.auth.models import User
from trading.auth.service import actor_for
from trading.enums import Category, LotState, Method, PriceBasis
from trading.kernel.blobs import iter_file
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects import drafts, publishing
from trading.projects import service as projects
from trading.projects.models import Lot
from trading.projects.schemas import LotIn, ProjectIn

Say = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class LotPlanDemo:
    center: str
    title: str
    lot_title: str
    category: Category
    method: Method
    budget: Decimal
    control_price: Decimal | None
    prices: dict[str, str]  # bidder username -> price
    sandbox: bool = False
    # What seed_history makes of it: "award", "fail" (too few bids), "cancel", "draft".
    outcome: str = "award"
    # The lot's evaluation parameters (criteria and deviation share for the committee's scoring).
    evaluation_params: dict[str, Any] = dataclasses.field(default_factory=dict)


async def register_and_publish(
    rt: Runtime, plan: LotPlanDemo, *, issued: datetime, deadline: datetime
) -> Lot:
    project_id = await register(rt, plan, issued=issued, deadline=deadline)
    staff = actor_for(await demo_user(rt, f"staff-{plan.center}"))
    async with rt.sessionmaker() as session:
        project = await projects.get_project(session, project_id, staff)
        return await publishing.publish_lot(
            session, project.lots[0].id, staff, now=rt.clock.now(), settings=rt.settings
        )


async def register(rt: Runtime, plan: LotPlanDemo, *, issued: datetime, deadline: datetime) -> int:
    """Register the plan's project (one lot, still a draft) as the center's staff."""
    staff = actor_for(await demo_user(rt, f"staff-{plan.center}"))
    async with rt.sessionmaker() as session:
        tenderer = await session.scalar(
            select(Organization).where(Organization.uscc == demo_uscc(1))
        )
        assert tenderer is not None
        project = await drafts.register_project(
            session,
            ProjectIn(
                title=plan.title,
                category=plan.category,
                method=plan.method,
                tenderer_uscc=tenderer.uscc,
                center_code=plan.center,
                sandbox=plan.sandbox,
                description=f"{plan.title}，资金来源已落实，现进行公开招标。",
                lots=[
                    LotIn(
                        title=plan.lot_title,
                        budget=plan.budget,
                        control_price=plan.control_price,
                        price_basis=PriceBasis.CONTROL_PRICE
                        if plan.control_price
                        else PriceBasis.BUDGET,
                        bid_security=(
                            (plan.control_price or plan.budget) * Decimal("0.01")
                        ).quantize(Decimal("0.01")),
                        docs_issued_at=issued,
                        bid_deadline=deadline,
                        evaluation_params=dict(plan.evaluation_params),
                    )
                ],
            ),
            staff,
            now=rt.clock.now(),
            settings=rt.settings,
            method_check=provide_method_check(),
        )
        return project.id


async def enrol(rt: Runtime, lot: Lot, usernames: Iterable[str]) -> None:
    """Register (报名) the bidders for the lot and lodge the bid security it requires, as they
    would before sealing (submission refuses them otherwise); what is done already stays."""
    async with rt.sessionmaker() as session:
        for username in usernames:
            bidder = actor_for(await demo_user(rt, username))
            await participation.register(session, lot.id, bidder, now=rt.clock.now())
            lodged = await session.scalar(
                select(BidSecurity.id).where(
                    BidSecurity.lot_id == lot.id, BidSecurity.bidder_org_id == bidder.org_id
                )
            )
            if lot.bid_security > 0 and lodged is None:
                await participation.record_security(
                    session,
                    lot.id,
                    bidder,
                    amount=lot.bid_security,
                    form="guarantee",
                    reference=f"BG-{lot.id}-{username}",
                    now=rt.clock.now(),
                    settings=rt.settings,
                )


async def submit_bids(rt: Runtime, lot: Lot, prices: dict[str, str], say: Say) -> None:
    assert lot.opening_pub is not None
    await enrol(rt, lot, prices)
    with tempfile.TemporaryDirectory() as tmp:
        for username, price in prices.items():
            user = await demo_user(rt, username)
            identity = demo_identity(rt, username)
            async with rt.sessionmaker() as session:
                org = await session.get(Organization, user.org_id)
                assert org is not None
                sealed = seal_bid(
                    identity,
                    lot_id=envelope_lot_id(lot.id),
                    bidder_id=org.uscc,
                    version=1,
                    opening_pub=b64u_decode(lot.opening_pub, length=32),
                    price_form={"price": price, "duration_days": 180, "quality": "合格"},
                    files=[("技术标.txt", _doc(tmp, f"{org.name} 技术方案"))],
                    out=Path(tmp) / f"{username}.sealed",
                )
                staged = await rt.blobs.stage(
                    iter_file(sealed.path), max_size=submission.MAX_BID_BYTES
                )
                bid = await submission.submit_bid(
                    session, lot.id, actor_for(user), staged, sealed.signature, rt.context()
                )
            say(
                f"  {org.name} 提交密封投标 sha256={bid.ciphertext_sha256[:16]}…"
                f" 回执#{bid.receipt['audit_index']}"
            )


async def tender_documents(
    rt: Runtime, lot: Lot, staff: str, asker: str, question: str, reply: str, say: Say
) -> None:
    """The tender document a new bidder downloads (and verifies by its SHA-256) and one
    question answered in public, as the center's staff and a registered bidder would."""
    text = (
        f"{lot.title} 招标文件\n\n第一章 投标人须知\n投标截止时间以公告为准；投标文件须在平台"
        "加密后提交，开标前任何人（包括平台运营方）无法解密。\n\n第二章 评标办法\n综合评分法。\n"
    )

    async def body() -> AsyncIterator[bytes]:
        yield text.encode("utf-8")

    staff_actor = actor_for(await demo_user(rt, staff))
    async with rt.sessionmaker() as session:
        staged = await rt.blobs.stage(body(), max_size=participation.MAX_DOCUMENT_BYTES)
        doc = await participation.add_document(
            session, lot.id, staff_actor, "招标文件.txt", staged, rt.blobs,
            now=rt.clock.now(), content_type="text/plain; charset=utf-8",
        )  # fmt: skip
        say(f"  招标文件已上传 sha256={doc.sha256[:16]}…")
    await enrol(rt, lot, [asker])
    async with rt.sessionmaker() as session:
        asked = await participation.ask(
            session, lot.id, actor_for(await demo_user(rt, asker)), question, now=rt.clock.now()
        )
        await participation.answer(session, asked.id, staff_actor, reply, now=rt.clock.now())


def _doc(tmp: str, text: str) -> Path:
    path = Path(tmp) / f"doc-{abs(hash(text))}.txt"
    path.write_text(text * 100, encoding="utf-8")
    return path


async def release_shares(rt: Runtime, lot_id: int, say: Say) -> LotState:
    async with rt.sessionmaker() as session:
        lot = await session.get(Lot, lot_id)
        assert lot is not None and lot.custody is not None
        custody = lot.custody
    bundle = CustodyBundle.from_dict(custody["bundle"])
    state = LotState.OPENING
    async with rt.sessionmaker() as session:
        for user_id in custody["custodians"][: custody["threshold"]]:
            user = await session.get(User, user_id)
            assert user is not None
            identity = demo_identity(rt, user.username)
            released = open_share(bundle.share_for(identity.enc_pub), identity.enc_priv)
            state = await openings.release_share(rt, lot_id, actor_for(user), released.to_dict())
            say(f"  开标人 {user.display_name} 释放密钥分片 → {state}")
    return await openings.settled(rt, lot_id)  # decryption runs as the lot's background job


async def evaluate_and_award(
    rt: Runtime, lot_id: int, center: str, advance: Callable[[timedelta], None]
) -> Lot:
    staff = actor_for(await demo_user(rt, f"staff-{center}"))
    async with rt.sessionmaker() as session:
        await evaluation.evaluate_lot(
            session, lot_id, staff, now=rt.clock.now(), settings=rt.settings
        )
        await evaluation.publish_candidates(
            session, lot_id, staff, now=rt.clock.now(), settings=rt.settings
        )
        lot = await session.get(Lot, lot_id)
        assert lot is not None
        lot = await projects.get_lot(session, lot_id, staff)
        wait = evaluation.publicity_ends(lot, rt.settings) - rt.clock.now()
    advance(wait + timedelta(seconds=1))
    async with rt.sessionmaker() as session:
        await evaluation.award_lot(session, lot_id, staff, now=rt.clock.now(), settings=rt.settings)
        return await projects.get_lot(session, lot_id, staff)
