"""Shared helpers for the platform benchmarks: a scratch world, bench bidders, formatting.

A scratch world is a migrated, seeded database (SQLite file in a temp dir by default; a
throwaway database on the server named by BIDHALL_DATABASE_URL when that is PostgreSQL)
plus its blob and key directories. Everything is built through the real services
(`bidhall.demo.seed`, `create_user`, `register_keys`, `register_and_publish`), so the
benchmarks measure the code users run.

Bench bidders differ from demo bidders in two ways that only change setup time:
their identities stay in memory (no scrypt-protected key files), and their accounts share
one precomputed scrypt password hash (one `hash_password` per distinct password instead of
one per account; scrypt costs ~50 ms, which dominates creating 1,000 accounts).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import make_url

import trading.auth.service as auth_service
from bidhall.demo import LotPlanDemo, demo_uscc, register_and_publish, seed
from bidhall.demo.steps import enrol
from bidhall.migrate import upgrade
from crypto.keys import Identity, generate_identity
from trading.auth.service import actor_for, create_user, issue_api_token
from trading.enums import Category, Method, Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.db import writing
from trading.kernel.runtime import Runtime
from trading.parties import service as parties
from trading.parties.models import Organization
from trading.projects.models import Lot

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "bidhall-bench-2026"
FIRST_BIDDER_NO = 1000  # demo_uscc numbers below this belong to the demo seed
MB = 1_000_000  # throughput unit, as in bench/envelope_throughput.py


def parse_size(text: str) -> int:
    """'5MB', '64KB', '1MiB', '1048576' -> bytes (K/M/G are binary multiples)."""
    raw = text.strip().upper().removesuffix("IB").removesuffix("B")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if raw and raw[-1] in units:
        return int(float(raw[:-1]) * units[raw[-1]])
    return int(raw)


def human_size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def loadavg() -> str:
    """The 1/5/15-minute load averages (what `uptime` prints), to record with the figures."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(
        h.rjust(w) if i else h.ljust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    out = [line, "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(out)


class Stopwatch:
    """Named setup phases, printed as they finish so a slow setup shows where it went."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.phases: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = time.perf_counter() - t0
            self.say(f"  {name}: {self.phases[name]:.1f} s")


# ---- the scratch world -------------------------------------------------------------------------


@dataclass
class World:
    root: Path
    url: str
    rt: Runtime
    pg_admin: str | None = None  # asyncpg DSN of the maintenance DB when we made a PG database
    pg_name: str | None = None

    @property
    def settings(self) -> Settings:
        return self.rt.settings

    def server_env(self) -> dict[str, str]:
        """Environment for a `bidhall serve` subprocess serving this world (scheduler off)."""
        env = dict(os.environ)
        # The server runs this checkout's code, whatever the venv's editable install points at.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.update(
            BIDHALL_DATABASE_URL=self.url,
            BIDHALL_BLOB_DIR=str(self.settings.blob_dir),
            BIDHALL_KEY_DIR=str(self.settings.key_dir),
            BIDHALL_RUN_SCHEDULER="0",
            BIDHALL_SANDBOX_FACTOR=str(self.settings.sandbox_factor),
        )
        return env

    async def close(self) -> None:
        if self.rt.scheduler is not None:
            self.rt.scheduler.shutdown()
        await self.rt.engine.dispose()
        # BIDHALL_BENCH_KEEP_DB=1 leaves the scratch database for EXPLAIN after the run.
        if self.pg_admin and self.pg_name and not os.environ.get("BIDHALL_BENCH_KEEP_DB"):
            await _pg_exec(self.pg_admin, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


async def _pg_exec(dsn: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def build_world(
    root: Path, clock: Clock, *, sandbox_factor: int = 1440, say: Callable[[str], None]
) -> World:
    """Migrate and seed a fresh world under `root` (or a fresh PostgreSQL database)."""
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    env_url = os.environ.get("BIDHALL_DATABASE_URL", "")
    pg_admin = pg_name = None
    if env_url.startswith("postgresql"):
        parsed = make_url(env_url)
        pg_name = f"{parsed.database or 'bidhall'}_bench_{os.getpid()}"
        pg_admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
        await _pg_exec(
            pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}"', f'CREATE DATABASE "{pg_name}"'
        )
        url = parsed.set(database=pg_name).render_as_string(hide_password=False)
        say(f"  database: PostgreSQL scratch database {pg_name} (dropped at the end)")
    else:
        if env_url:
            say(f"  note: BIDHALL_DATABASE_URL={env_url!r} is not PostgreSQL; using scratch SQLite")
        url = f"sqlite+aiosqlite:///{root / 'bidhall.db'}"
    await asyncio.to_thread(upgrade, url)  # Alembic drives its own event loop
    settings = Settings(
        database_url=url,
        blob_dir=root / "blobs",
        key_dir=root / "keys",
        run_scheduler=False,
        sandbox_factor=sandbox_factor,
    )
    world = World(root, url, Runtime.build(settings, clock), pg_admin, pg_name)
    try:
        await seed(world.rt, clock.now())
    except BaseException:
        await world.close()
        raise
    return world


# ---- bench bidders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bidder:
    username: str
    uscc: str
    identity: Identity  # in memory only: bench bidders have no key files
    actor: Actor


@contextlib.contextmanager
def one_hash_per_password() -> Iterator[None]:
    """While active, `create_user` hashes each distinct password once (scrypt) and reuses it.

    Bench accounts all share one password, so this turns N scrypt runs into one; the stored
    hashes are real scrypt hashes and log in normally.
    """
    real = auth_service.hash_password
    cache: dict[str, str] = {}

    def cached(password: str) -> str:
        if password not in cache:
            cache[password] = real(password)
        return cache[password]

    auth_service.hash_password = cached  # type: ignore[assignment]
    try:
        yield
    finally:
        auth_service.hash_password = real  # type: ignore[assignment]


async def add_bidders(rt: Runtime, n: int, now: datetime, *, batch: int = 200) -> list[Bidder]:
    """N bidder organizations with one account each, their public keys registered."""
    made: list[tuple[str, str, Actor]] = []
    with one_hash_per_password():
        async with rt.sessionmaker() as session:
            for start in range(0, n, batch):
                async with writing(session):
                    for i in range(start, min(n, start + batch)):
                        uscc = demo_uscc(FIRST_BIDDER_NO + i)
                        org = Organization(
                            name=f"压测投标单位{i + 1:04d}有限公司",
                            uscc=uscc,
                            sme=False,
                            created_at=now,
                        )
                        session.add(org)
                        await session.flush()
                        username = f"bench-bidder-{i + 1:04d}"
                        user = await create_user(
                            session,
                            username=username,
                            password=BENCH_PASSWORD,
                            display_name=org.name,
                            roles=[Role.BIDDER],
                            now=now,
                            org_id=org.id,
                        )
                        made.append((username, uscc, actor_for(user)))
    identities = [generate_identity() for _ in made]
    async with rt.sessionmaker() as session:
        for (_, _, actor), identity in zip(made, identities, strict=True):
            await parties.register_keys(
                session,
                actor,
                identity.public().to_dict(),
                now=now,
                platform_sign_priv=rt.platform.sign_priv,
            )
    return [
        Bidder(username, uscc, identity, actor)
        for (username, uscc, actor), identity in zip(made, identities, strict=True)
    ]


async def issue_tokens(rt: Runtime, bidders: Sequence[Bidder], now: datetime) -> list[str]:
    """API bearer tokens for the bidders, issued through the auth service (no password check:
    a login per account would only re-measure scrypt)."""
    from trading.auth.models import User

    tokens: list[str] = []
    async with rt.sessionmaker() as session:
        for bidder in bidders:
            user = await session.get(User, bidder.actor.user_id)
            assert user is not None
            tokens.append(await issue_api_token(session, user, now=now, name="bench"))
    return tokens


async def publish_lot(
    rt: Runtime,
    bidders: Sequence[Bidder],
    *,
    issued: datetime,
    deadline: datetime,
    sandbox: bool,
) -> Lot:
    """One open-tender construction lot in center 450100, published through the services, the
    bidders registered (报名) with their security lodged: submission refuses them otherwise."""
    n_bidders = len(bidders)
    plan = LotPlanDemo(
        center="450100",
        title=f"压测项目：{n_bidders}家投标人" + ("（演练）" if sandbox else ""),
        lot_title="第1标段",
        category=Category.CONSTRUCTION,
        method=Method.OPEN_TENDER,
        budget=Decimal("9800000.00"),
        control_price=Decimal("9500000.00"),
        prices={},
        sandbox=sandbox,
    )
    lot = await register_and_publish(rt, plan, issued=issued, deadline=deadline)
    await enrol(rt, lot, [b.username for b in bidders])
    return lot


def bench_price(i: int) -> str:
    """A distinct, lawful price per bidder (below the control price)."""
    return f"{9_000_000 + 137 * i}.{i % 100:02d}"
