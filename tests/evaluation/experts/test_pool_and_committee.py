"""The expert pool (CSV in and out, all or nothing) and the committee draw through the service:
composition by the ruleset, conflicts avoided, the seed committed before the draw, secrecy
until the award, replacements, and one committee per lot under a race."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from sqlalchemy import delete, func, select

from bidding.participation.service import register
from bidhall.demo.accounts import demo_uscc, demo_user
from evaluation.experts import pool_csv as pools
from evaluation.experts import service as experts
from evaluation.experts.draw import Demand, rerun
from evaluation.experts.models import Committee, CommitteeMember, Expert
from trading.audit.models import AuditEntry
from trading.auth.models import User
from trading.auth.service import actor_for
from trading.kernel.clock import FixedClock
from trading.kernel.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from trading.kernel.runtime import Runtime
from trading.parties.models import Organization
from trading.projects.models import Lot

HEADER = "code,name,username,specialties,region,employer,employer_uscc,phone,active,avoid_usccs\n"


def pool_csv(n: int, *, employer_uscc: dict[int, str] | None = None,
             avoid: dict[int, str] | None = None) -> str:  # fmt: skip
    rows = [
        f"E{i:04d},专家{i},expert-{i},{'A01;B02' if i % 2 else 'A01'},450100,"
        f"单位{i},{(employer_uscc or {}).get(i, '')},1380000{i:04d},1,{(avoid or {}).get(i, '')}"
        for i in range(1, n + 1)
    ]
    return HEADER + "\n".join(rows) + "\n"


async def staff(rt: Runtime, code: str = "450100"):  # type: ignore[no-untyped-def]
    return actor_for(await demo_user(rt, f"staff-{code}"))


async def count(rt: Runtime, model: type) -> int:
    async with rt.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def uscc_of(rt: Runtime, username: str) -> str:
    async with rt.sessionmaker() as session:
        user = await demo_user(rt, username)
        return str(
            await session.scalar(select(Organization.uscc).where(Organization.id == user.org_id))
        )


async def test_csv_import_is_all_or_nothing_and_export_round_trips(
    rt: Runtime, clock: FixedClock
) -> None:
    actor = await staff(rt)
    bad = pool_csv(3).replace("E0002,", "e2,").replace(",450100,单位3", ",4501,单位3")
    bad += "E0001,重复,expert-9,A01,450100,单位,,,maybe,\n"
    users_before = await count(rt, User)
    async with rt.sessionmaker() as session:
        with pytest.raises(ValidationFailed) as info:
            await pools.import_pool(session, actor, "450100", bad, now=clock.now())
    errors = {(e["line"], e["field"]) for e in info.value.detail["errors"]}  # type: ignore[union-attr]
    assert {(3, "code"), (4, "region"), (5, "code"), (5, "active")} <= errors
    assert await count(rt, Expert) == 0 and await count(rt, User) == users_before

    text = pool_csv(12)
    async with rt.sessionmaker() as session:
        assert await pools.import_pool(session, actor, "450100", text, now=clock.now()) == {
            "created": 12, "updated": 0,
        }  # fmt: skip
        exported = await pools.export_pool(session, actor, "450100")
        assert exported == text
        # Re-importing the export changes nothing but the update time.
        assert await pools.import_pool(session, actor, "450100", exported, now=clock.now()) == {
            "created": 0, "updated": 12,
        }  # fmt: skip
        with pytest.raises(Forbidden):
            await pools.export_pool(session, await staff(rt, "450200"), "450100")
        expert_user = await session.scalar(select(User).where(User.username == "expert-1"))
    assert expert_user is not None and expert_user.roles == ["evaluator"]
    assert expert_user.password_hash == "!"  # no password signs in until activation


async def test_composition_follows_the_ruleset_with_its_citation(
    rt: Runtime, clock: FixedClock, publish_lot
) -> None:  # type: ignore[no-untyped-def]
    actor = await staff(rt)
    async with rt.sessionmaker() as session:
        await pools.import_pool(session, actor, "450100", pool_csv(12), now=clock.now())
    lot: Lot = await publish_lot()
    for demand, reps, cite in (
        ([Demand("A01", 4)], 0, "第37条"),  # 4: fewer than 5
        ([Demand("A01", 5)], 1, "第37条"),  # 6: even
        ([Demand("A01", 3)], 2, "三分之二"),  # experts 3 of 5
    ):
        async with rt.sessionmaker() as session:
            with pytest.raises(RuleViolation, match=cite):
                await experts.draw_committee(
                    session, actor, rt.settings, lot.id, demand, reps, now=clock.now()
                )
    assert await count(rt, Committee) == 0
    async with rt.sessionmaker() as session:
        with pytest.raises(Forbidden):
            await experts.draw_committee(
                session, await staff(rt, "450200"), rt.settings, lot.id, [Demand("A01", 5)], 0,
                now=clock.now(),
            )  # fmt: skip


async def test_conflicted_experts_are_never_drawn_and_the_seed_is_committed_first(
    rt: Runtime, clock: FixedClock, publish_lot
) -> None:  # type: ignore[no-untyped-def]
    actor = await staff(rt)
    lot: Lot = await publish_lot()
    tenderer = await uscc_of(rt, "tenderer-1")
    bidder = await uscc_of(rt, "bidder-2")
    async with rt.sessionmaker() as session:
        await register(session, lot.id, actor_for(await demo_user(rt, "bidder-2")), now=clock.now())
    text = pool_csv(
        9, employer_uscc={1: tenderer, 2: bidder}, avoid={3: f"{demo_uscc(99)};{tenderer}"}
    )
    async with rt.sessionmaker() as session:
        await pools.import_pool(session, actor, "450100", text, now=clock.now())
    # 9 experts, 3 conflicted: exactly 6 eligible, and the draw must seat 5 of them.
    for n in range(4):
        async with rt.sessionmaker() as session:
            committee = await experts.draw_committee(
                session, actor, rt.settings, lot.id, [Demand("A01", 5)], 0, now=clock.now(),
                seed=hashlib.sha256(bytes([n])).digest(),
            )  # fmt: skip
            seated = set(
                await session.scalars(
                    select(Expert.code)
                    .join(CommitteeMember, CommitteeMember.expert_id == Expert.id)
                    .where(CommitteeMember.committee_id == committee.id)
                )
            )
            excluded = {e["code"]: e["excluded"] for e in committee.pool if e["excluded"]}
            assert excluded == {
                "E0001": "employer: tenderer", "E0002": "employer: bidder",
                "E0003": "declared relation",
            }  # fmt: skip
            assert len(seated) == 5 and not seated & set(excluded)
            log = list(
                await session.scalars(
                    select(AuditEntry.action).where(AuditEntry.action.like("committee.%"))
                    .order_by(AuditEntry.seq)
                )
            )  # fmt: skip
            assert log[-2:] == ["committee.seed_committed", "committee.drawn"]
            # Redraw with another seed (test only: the service never deletes a committee).
            await session.execute(
                delete(CommitteeMember).where(CommitteeMember.committee_id == committee.id)
            )
            await session.execute(delete(Committee).where(Committee.id == committee.id))
            await session.commit()


async def test_secret_until_the_award_declines_replace_and_the_document_reruns(
    rt: Runtime, clock: FixedClock, publish_lot
) -> None:  # type: ignore[no-untyped-def]
    actor = await staff(rt)
    lot: Lot = await publish_lot()
    async with rt.sessionmaker() as session:
        await pools.import_pool(session, actor, "450100", pool_csv(12), now=clock.now())
    async with rt.sessionmaker() as session:
        await experts.draw_committee(
            session, actor, rt.settings, lot.id, [Demand("B02", 2), Demand("A01", 3)], 0,
            now=clock.now(),
        )  # fmt: skip
    public = actor_for(await demo_user(rt, "bidder-1"))
    async with rt.sessionmaker() as session:
        seen = await experts.published_draw(session, public, lot.id)
        # Before the award: the commitment only, no expert and no seed.
        assert set(seen) == {
            "lot_id", "seed_sha256", "pool_digest", "pool_size", "demand", "representatives",
            "drawn_at",
        }  # fmt: skip
        mine = await experts.published_draw(session, actor, lot.id)
    seated = [m["code"] for m in mine["members"] if not m["declined"]]
    async with rt.sessionmaker() as session:
        now_seated = await experts.decline(
            session, actor, lot.id, seated[0], "身体原因", now=clock.now()
        )
        with pytest.raises(ValidationFailed):
            await experts.decline(session, actor, lot.id, now_seated[0], " ", now=clock.now())
    assert seated[0] not in now_seated and len(now_seated) == 5
    async with rt.sessionmaker() as session:
        committee = await session.scalar(select(Committee).where(Committee.lot_id == lot.id))
        assert committee is not None
        doc = experts.document(committee, {seated[0]: "身体原因"})
    assert rerun(doc)["committee"] == now_seated
    async with rt.sessionmaker() as session, session.begin():  # as the award flow leaves it
        await session.execute(
            Lot.__table__.update().where(Lot.id == lot.id).values(state="awarded")
        )
    async with rt.sessionmaker() as session:
        after = await experts.published_draw(session, public, lot.id)
    assert rerun(after["document"])["committee"] == now_seated
    assert all(m["name"].startswith("专家") for m in after["members"])
    seed = bytes.fromhex(after["document"]["seed"])
    assert hashlib.sha256(seed).hexdigest() == seen["seed_sha256"]  # the committed one


async def test_two_draws_racing_leave_one_committee(
    rt: Runtime, clock: FixedClock, publish_lot
) -> None:  # type: ignore[no-untyped-def]
    actor = await staff(rt)
    lot: Lot = await publish_lot()
    async with rt.sessionmaker() as session:
        await pools.import_pool(session, actor, "450100", pool_csv(12), now=clock.now())

    async def one() -> object:
        async with rt.sessionmaker() as session:
            return await experts.draw_committee(
                session, actor, rt.settings, lot.id, [Demand("A01", 5)], 0, now=clock.now()
            )

    results = await asyncio.gather(one(), one(), return_exceptions=True)
    assert sum(isinstance(r, Committee) for r in results) == 1
    assert (
        sum(isinstance(r, Conflict | Exception) and not isinstance(r, Committee) for r in results)
        == 1
    )
    assert await count(rt, Committee) == 1 and await count(rt, CommitteeMember) == 5
