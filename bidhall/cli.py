"""The `bidhall` command: run the platform, manage its database, demo, verify offline."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bidding.client import cli as client_cli
from bidding.client.cli import bid_app, custody_app, keys_app, receipt_app
from bidhall.migrate import ensure_migrated
from evaluation.cli import evaluate_app
from trading.audit.cli import audit_app
from trading.centers.cli import center_app
from trading.kernel.cli import CliError, run, settings
from trading.kernel.config import Settings
from trading.kernel.runtime import Runtime

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="bidhall 公共资源交易电子招投标平台"
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
app.add_typer(db_app, name="db")
# `bidhall audit`: the server's own checks plus the outsider's verification of a server.
audit_app.registered_commands += client_cli.audit_app.registered_commands
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(bid_app, name="bid")
app.add_typer(receipt_app, name="receipt")
app.add_typer(custody_app, name="custody")
app.add_typer(center_app, name="center")
app.add_typer(evaluate_app, name="evaluate")

T = TypeVar("T")


async def runtime_for(config: Settings, fn: Callable[[Runtime], Awaitable[T]]) -> T:
    """Build a Runtime on a database at the latest schema, run `fn(rt)`, dispose the engine."""
    rt = Runtime.build(config)
    try:
        await ensure_migrated(rt.engine, config.database_url)
        return await fn(rt)
    finally:
        await rt.engine.dispose()


@app.callback()
def root(ctx: typer.Context) -> None:
    """Sub-commands of every package get their runtime from here (trading.kernel.cli)."""
    ctx.obj = runtime_for


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from bidhall.migrate import upgrade

    config = settings()
    if config.is_sqlite:
        Path(config.database_url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)
    typer.echo(f"database is at the latest schema ({config.database_url.split('@')[-1]})")


@app.command()
def seed(
    live_minutes: Annotated[
        float, typer.Option(help="minutes beyond its 2-minute accelerated bid period")
    ] = 1.0,
) -> None:
    """Load demo data (idempotent): centers, parties, completed tenders and one live lot."""
    from bidhall import demo

    async def go(rt: Any) -> None:
        now = rt.clock.now()
        if not await demo.seed(rt, now - timedelta(days=40 * len(demo.HISTORY) + 1)):
            typer.echo("demo data already present; nothing to do")
            return
        typer.echo("seeding demo data: completed tenders in four centers …")
        await demo.seed_history(rt, now, typer.echo)
        lot = await demo.seed_live(rt, typer.echo, timedelta(minutes=live_minutes))
        typer.echo(f"live sandbox lot {lot.id} opens at {lot.bid_deadline.isoformat()}")

    run(runtime_for(settings(), go))


@app.command()
def demo(
    speed: Annotated[
        int, typer.Option(help="sandbox accelerator (periods divided by it)")
    ] = 172800,
) -> None:
    """Walking skeleton: one sandbox tender from registration to award, in real time."""
    from bidhall import demo as demo_mod

    config = settings().with_(sandbox_factor=speed)

    async def go(rt: Any) -> None:
        result = await demo_mod.walking_skeleton(rt, typer.echo)
        typer.echo(json.dumps(result, ensure_ascii=False))

    run(runtime_for(config, go))


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the web platform (and, unless BIDHALL_RUN_SCHEDULER=0, the opening scheduler)."""
    import uvicorn

    from bidhall.app import create_app

    config = settings()

    async def schema_ok(_rt: Any) -> None:
        return None

    run(runtime_for(config, schema_ok))  # an old schema stops here with one line
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    typer.echo(f"bidhall: portal http://{host}:{port}/  API docs http://{host}:{port}/schema")
    web = create_app(config)
    web.on_startup.append(settle_heap)
    uvicorn.run(web, host=host, port=port, log_level="info")


def settle_heap() -> None:
    """Once the app has started: move everything loaded so far (modules, routes, mappers,
    the engine) out of the collector's sight. A full collection then walks only what requests
    left behind, not the ~250,000 start-up objects: 100-170 ms pauses of every request in
    flight under load otherwise (bench/public_reads.py)."""
    gc.collect()
    gc.freeze()


@app.command()
def scheduler() -> None:
    """Run only the opening scheduler (when web workers run with BIDHALL_RUN_SCHEDULER=0)."""
    from bidhall.app import attach_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def go(rt: Any) -> None:
        sched = attach_scheduler(rt)
        sched.start()
        typer.echo(f"scheduler running; {await sched.reconcile()} overdue opening(s) run")
        while (
            True
        ):  # openings are scheduled by publish; reconcile picks up lots published elsewhere
            await asyncio.sleep(30)
            await sched.reconcile()

    run(runtime_for(settings(), go))


def main() -> None:
    from bidhall.migrate import SchemaOutOfDate
    from crypto.errors import CryptoError
    from evaluation.methods import EvaluationError
    from trading.kernel.errors import DomainError

    try:
        app(standalone_mode=False)
    except SchemaOutOfDate as exc:
        typer.echo(str(exc.code), err=True)
        sys.exit(2)
    except (CliError, client_cli.CliError, DomainError, CryptoError, EvaluationError) as exc:
        typer.echo(f"bidhall: error: {exc}", err=True)
        sys.exit(2)
    except json.JSONDecodeError as exc:
        typer.echo(f"bidhall: error: not valid JSON: {exc}", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
