"""Evaluation: N bids × E experts × C criteria scored and ranked through the service.

    .venv/bin/python bench/scoring.py [--bids 500] [--experts 9] [--criteria 40]

Setup (not timed): a scratch world (SQLite; a throwaway PostgreSQL database when
BIDHALL_DATABASE_URL names a PostgreSQL server) on a FixedClock; N bidder accounts (in-memory
identities), an expert pool of E imported through the pool service with their keys registered;
one lot with C criteria (综合评分法, low-price benchmark); the committee of E drawn; every bidder
registers, lodges its security, seals and submits; the custodians release their shares and the
opening decrypts every bid (bench/opening.py measures that part).

Timed:
  platform  through the services on the real database, one expert after another as they would:
            each signs the no-conflict declaration (Ed25519, checked against the registered
            key) and saves then submits a full sheet (N qualification decisions and N × C scores
            in one call); the chair finalises (the signed evaluation report's document is built);
            staff rank the lot (evaluation.award.service.evaluate_lot: the committee's input,
            the method, the result row, the state change, the audit entry).
  pure      the calculator alone (evaluation.offline.evaluate_document) on the same input
            document — the committee's scores as the platform publishes them; run before and
            after the platform, the median counts.

The ratio is platform time / pure time. The published ranking must equal the calculator's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from _figures import Figure, emit, median
from _servers import run_bench
from _world import (
    Bidder,
    Stopwatch,
    add_bidders,
    bench_price,
    build_world,
    loadavg,
    table,
)

# Monday 2026-03-02 09:00 in Asia/Shanghai: a working day (as in tests/conftest.py).
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MAX_BIDS, MAX_EXPERTS, MAX_CRITERIA = 5_000, 21, 200
TECHNICAL_POINTS = Decimal(70)  # with a price weight of 0.30


def say(text: str) -> None:
    print(text, flush=True)


def criteria(c: int) -> list[dict[str, str]]:
    each = (TECHNICAL_POINTS / c).quantize(Decimal("0.01"))
    return [{"id": f"c{k:03d}", "name": f"评分因素{k}", "max_score": str(each)} for k in range(c)]


def mark(bid: int, criterion: int, expert: int, max_score: Decimal) -> str:
    """A bid's level (60 % or 80 % of the maximum) plus one expert's step of 10 %: varied
    enough to rank, close enough that no mark deviates from the committee mean beyond 20 %."""
    h = hashlib.sha256(f"{bid}/{criterion}/{expert}".encode()).digest()
    share = Decimal("0.6") + Decimal("0.2") * (bid % 2) + Decimal("0.1") * (h[0] % 2)
    return str((max_score * share).quantize(Decimal("0.01")))


def sheet(
    bid_ids: list[int], crit: list[dict[str, str]], expert: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    qualification = {str(b): {"pass": True, "reason": ""} for b in bid_ids}
    scores = {
        str(b): {
            c["id"]: {"score": mark(b, k, expert, Decimal(c["max_score"])), "comment": ""}
            for k, c in enumerate(crit)
        }
        for b in bid_ids
    }
    return qualification, scores


def pure_seconds(doc: dict[str, Any], runs: int = 3) -> tuple[float, dict[str, Any]]:
    """The calculator on the document (best of `runs`: it is short and load spikes)."""
    from evaluation.offline import evaluate_document

    best, result = float("inf"), {}
    for _ in range(runs):
        t0 = time.perf_counter()
        result = evaluate_document(doc)
        best = min(best, time.perf_counter() - t0)
    return best, result


async def setup(args: argparse.Namespace, tmp: Path, watch: Stopwatch) -> tuple[Any, ...]:
    from bidhall.demo import LotPlanDemo, register_and_publish, release_shares
    from crypto.keys import generate_identity
    from evaluation.experts import pool_csv
    from evaluation.experts import service as experts
    from evaluation.experts.draw import Demand
    from trading.enums import Category, LotState, Method
    from trading.kernel.clock import FixedClock
    from trading.parties import service as parties

    clock = FixedClock(T0)
    with watch.phase("world (migrate + seed)"):
        world = await build_world(tmp / "world", clock, say=say)
    rt = world.rt
    with watch.phase(f"{args.bids} bidder accounts + keys"):
        bidders = await add_bidders(rt, args.bids, clock.now())
    crit = criteria(args.criteria)
    plan = LotPlanDemo(
        center="450100", title=f"评标压测：{args.bids}家投标人", lot_title="第1包",
        category=Category.CONSTRUCTION, method=Method.OPEN_TENDER,
        budget=Decimal("9800000.00"), control_price=Decimal("9500000.00"), prices={},
        evaluation_params={"price_weight": "0.30", "criteria": crit, "deviation_share": "0.20"},
    )  # fmt: skip
    from bidhall.demo.accounts import demo_user
    from trading.auth.service import actor_for

    staff = actor_for(await demo_user(rt, "staff-450100"))
    with watch.phase(f"pool of {args.experts} experts, lot, committee drawn"):
        rows = [
            f"B{n:04d},评标专家{n},bench-expert-{n},B01,450100,压测专家单位{n},,,1,"
            for n in range(1, args.experts + 1)
        ]
        csv = "code,name,username,specialties,region,employer,employer_uscc,phone,active,"
        csv += "avoid_usccs\n" + "\n".join(rows) + "\n"
        async with rt.sessionmaker() as session:
            await pool_csv.import_pool(session, staff, "450100", csv, now=clock.now())
        lot = await register_and_publish(
            rt, plan, issued=clock.now(), deadline=clock.now() + timedelta(days=21)
        )
        async with rt.sessionmaker() as session:
            await experts.draw_committee(
                session, staff, rt.settings, lot.id, [Demand("B01", args.experts)], 0,
                now=clock.now(),
            )  # fmt: skip
        seated = await seated_experts(rt, lot.id)
        identities = {user.id: generate_identity() for user, _m in seated}
        async with rt.sessionmaker() as session:
            for user, _m in seated:
                await parties.register_keys(
                    session, actor_for(user), identities[user.id].public().to_dict(),
                    now=clock.now(), platform_sign_priv=rt.platform.sign_priv,
                )  # fmt: skip
    clock.advance(timedelta(days=1))
    with watch.phase(f"{args.bids} bidders register, lodge security, seal and submit"):
        await submit_all(rt, lot, bidders, tmp)
    clock.set(lot.bid_deadline)
    with watch.phase(f"opening: {args.bids} bids decrypted"):
        from bidding.opening.flows import run_opening

        await run_opening(rt, lot.id)
        clock.advance(timedelta(minutes=10))
        state = await release_shares(rt, lot.id, lambda _m: None)
    if state != LotState.OPENED:
        raise RuntimeError(f"the lot is {state} after the opening, not opened")
    clock.advance(timedelta(days=1))
    return world, lot, staff, seated, identities, crit


async def seated_experts(rt: Any, lot_id: int) -> list[Any]:
    from sqlalchemy import select

    from evaluation.experts.models import Committee, CommitteeMember, Expert
    from trading.auth.models import User

    async with rt.sessionmaker() as session:
        rows = await session.execute(
            select(User, CommitteeMember)
            .join(Expert, Expert.user_id == User.id)
            .join(CommitteeMember, CommitteeMember.expert_id == Expert.id)
            .join(Committee, Committee.id == CommitteeMember.committee_id)
            .where(Committee.lot_id == lot_id)
            .order_by(CommitteeMember.position)
        )
        return list(rows.tuples().all())


async def submit_all(rt: Any, lot: Any, bidders: list[Bidder], tmp: Path) -> None:
    from bidding.client.sealing import seal_bid
    from bidding.participation import service as participation
    from bidding.submission import service as submission
    from crypto.encoding import b64u_decode
    from crypto.labels import envelope_lot_id
    from trading.kernel.blobs import iter_file

    attachment = tmp / "技术标.txt"
    attachment.write_bytes(os.urandom(1024))
    pub = b64u_decode(lot.opening_pub, length=32)
    for i, bidder in enumerate(bidders):
        async with rt.sessionmaker() as session:
            await participation.register(session, lot.id, bidder.actor, now=rt.clock.now())
            if lot.bid_security > 0:
                await participation.record_security(
                    session, lot.id, bidder.actor, amount=lot.bid_security, form="guarantee",
                    reference=f"BG-{i}", now=rt.clock.now(), settings=rt.settings,
                )  # fmt: skip
            sealed = seal_bid(
                bidder.identity, lot_id=envelope_lot_id(lot.id), bidder_id=bidder.uscc, version=1,
                opening_pub=pub,
                price_form={"price": bench_price(i), "duration_days": 180, "quality": "合格"},
                files=[("技术标.txt", attachment)], out=tmp / "bid.sealed",
            )  # fmt: skip
            staged = await rt.blobs.stage(iter_file(sealed.path), max_size=submission.MAX_BID_BYTES)
            await submission.submit_bid(
                session, lot.id, bidder.actor, staged, sealed.signature, rt.context()
            )


async def platform_run(
    rt: Any, lot: Any, staff: Any, seated: list[Any], identities: dict[int, Any], crit: Any
) -> tuple[dict[str, float], Any]:
    """Declarations, sheets, finalisation and ranking through the services; seconds per phase."""
    from bidding.queries import opened_bids
    from crypto.canonical import canonical_json
    from crypto.encoding import b64u_encode
    from crypto.signing import sign
    from evaluation.award import service as award
    from evaluation.report import service as reports
    from evaluation.scoring import service as scoring
    from evaluation.scoring import signed, work
    from trading.auth.service import actor_for

    async with rt.sessionmaker() as session:
        bid_ids = [b.bid_id for b in await opened_bids(session, lot.id)]
    sheets = [sheet(bid_ids, crit, n) for n in range(len(seated))]  # the experts' own work
    phases = {"declare (signed)": 0.0, "save + submit sheets": 0.0}
    for (user, member), (qualification, scores) in zip(seated, sheets, strict=True):
        actor = actor_for(user)
        statement = signed.declaration_statement(
            lot.id, member.committee_id, member.id, member.position, scoring.DECLARATION
        )
        signature = b64u_encode(sign(identities[user.id].sign_priv, canonical_json(statement)))
        t0 = time.perf_counter()
        async with rt.sessionmaker() as session:
            await work.declare(
                session, actor, lot.id, scoring.DECLARATION, signature, now=rt.clock.now()
            )
        t1 = time.perf_counter()
        async with rt.sessionmaker() as session:
            await work.save(
                session, actor, lot.id, qualification, scores, now=rt.clock.now(), submit=True
            )
        t2 = time.perf_counter()
        phases["declare (signed)"] += t1 - t0
        phases["save + submit sheets"] += t2 - t1
    t0 = time.perf_counter()
    async with rt.sessionmaker() as session:
        await reports.finalise(
            session, actor_for(seated[0][0]), lot.id, now=rt.clock.now(), settings=rt.settings
        )
    t1 = time.perf_counter()
    async with rt.sessionmaker() as session:
        await award.evaluate_lot(session, lot.id, staff, now=rt.clock.now(), settings=rt.settings)
        result = await award.latest_result(session, lot.id)
    t2 = time.perf_counter()
    phases["chair finalises (report built)"] = t1 - t0
    phases["evaluate_lot (rank)"] = t2 - t1
    return phases, result


async def run(args: argparse.Namespace, tmp: Path) -> int:
    from evaluation.scoring.service import committee_input

    n, e, c = args.bids, args.experts, args.criteria
    say(f"evaluation: {n} bids × {e} experts × {c} criteria; load {loadavg()}")
    watch = Stopwatch(say)
    world, lot, staff, seated, identities, crit = await setup(args, tmp, watch)
    rt = world.rt
    try:
        db = "PostgreSQL" if world.pg_name else "SQLite"
        # The calculator's input before the platform runs: the same scores, as the committee's
        # published input document carries them (built here from the experts' sheets).
        async with rt.sessionmaker() as session:
            from evaluation.award.service import input_document
            from trading.projects.models import Lot

            row = await session.get(Lot, lot.id)
            base = await input_document(session, row)
        doc = expected_input(base, seated, crit)
        say(f"timed: pure calculator; load {loadavg()}")
        pure_before, _ = pure_seconds(doc)
        say(f"timed: platform; load {loadavg()}")
        phases, result = await platform_run(rt, lot, staff, seated, identities, crit)
        say(f"timed: pure calculator again; load {loadavg()}")
        pure_after, recomputed = pure_seconds(result.input_doc)
        pure = median([pure_before, pure_after])
        problems: list[str] = []
        if result.ranking != recomputed:
            problems.append("the published ranking differs from the calculator's")
        if result.input_doc["bids"] != doc["bids"]:
            problems.append("the committee's input differs from the experts' sheets")
        async with rt.sessionmaker() as session:
            await committee_input(session, row, base)  # finalised: no Conflict
        report(db, n, e, c, phases, pure, (pure_before, pure_after))
        for problem in problems:
            say(f"PROBLEM: {problem}")
        return 1 if problems else 0
    finally:
        await world.close()


def expected_input(base: dict[str, Any], seated: list[Any], crit: Any) -> dict[str, Any]:
    """The committee's published input, from the sheets: what committee_input must produce."""
    params = {k: v for k, v in base["params"].items() if k not in ("criteria", "deviation_share")}
    bids = []
    for b in base["bids"]:
        bid = int(b["bid_id"])
        bids.append(
            {
                **b,
                "qualified": True,
                "technical_scores": {
                    cr["id"]: [
                        mark(bid, k, n, Decimal(cr["max_score"])) for n in range(len(seated))
                    ]
                    for k, cr in enumerate(crit)
                },
            }
        )
    return {**base, "params": params, "criteria": crit, "bids": bids}


def report(
    db: str,
    n: int,
    e: int,
    c: int,
    phases: dict[str, float],
    pure: float,
    pures: tuple[float, float],
) -> None:
    platform = sum(phases.values())
    say("")
    say(f"evaluation — {db}, {n} bids × {e} experts × {c} criteria, load {loadavg()}")
    rows = [[name, f"{s:.2f}", f"{s / pure:.1f}"] for name, s in phases.items()]
    rows.append(["platform total", f"{platform:.2f}", f"{platform / pure:.1f}"])
    rows.append(["pure calculator (median of 2, best of 3 each)", f"{pure:.2f}", "1.0"])
    say(table(["what", "time s", "× pure"], rows))
    say(f"pure runs: {pures[0]:.2f} s before, {pures[1]:.2f} s after the platform")
    say(
        f"\nsummary: evaluation ({db}, {n} × {e} × {c} = {n * e * c:,} scores): platform "
        f"{platform:.2f} s (declarations, sheets, finalise + report, ranking); pure calculator "
        f"{pure:.2f} s; ratio {platform / pure:.1f}× pure"
    )
    emit(
        Figure(
            bench="scoring",
            figure=f"evaluation {n} bids × {e} experts × {c} criteria ({db}), sheets → ranking",
            value=platform,
            unit="s",
            baseline=pure,
            baseline_name="pure evaluate_document",
            target="",
            met=None,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Score N bids by E experts on C criteria and rank them through the services;"
        " compare with the pure calculator on the same input.",
        epilog="Honours BIDHALL_DATABASE_URL (PostgreSQL: a scratch database is created"
        " and dropped).",
    )
    parser.add_argument("--bids", type=int, default=500, help="opened bids (default 500)")
    parser.add_argument("--experts", type=int, default=9, help="committee size (default 9)")
    parser.add_argument("--criteria", type=int, default=40, help="criteria (default 40)")
    args = parser.parse_args(argv)
    if not 3 <= args.bids <= MAX_BIDS:
        parser.error(f"--bids must be between 3 and {MAX_BIDS}")
    if not (5 <= args.experts <= MAX_EXPERTS and args.experts % 2):
        parser.error(f"--experts must be odd, between 5 and {MAX_EXPERTS} (法 37)")
    if not 1 <= args.criteria <= MAX_CRITERIA:
        parser.error(f"--criteria must be between 1 and {MAX_CRITERIA}")
    return run_bench(lambda tmp, _procs: run(args, tmp), "bidhall-evaluation-", say)


if __name__ == "__main__":
    sys.exit(main())
