"""`bidhall audit …`: check the audit log."""

from __future__ import annotations

from typing import Any

import typer

from trading.clitools import CliError, run, settings, with_runtime

audit_app = typer.Typer(no_args_is_help=True, help="Audit log")


@audit_app.command("check-chain")
def check_chain() -> None:
    """Recompute the hash chain of the local database's audit log."""
    from trading.audit.service import chain_errors, load_all

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            entries = await load_all(session)
        errors = chain_errors(entries)
        if errors:
            raise CliError(f"audit chain broken: {errors[0]} ({len(errors)} problem(s))")
        typer.echo(f"audit chain intact: {len(entries)} entries")

    run(with_runtime(settings(), go))
