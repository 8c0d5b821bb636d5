"""`bidhall audit …`: check the audit log, publish signed tree heads, verify a server's log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trading.kernel.cli import CliError, with_runtime

audit_app = typer.Typer(no_args_is_help=True, help="Audit log")


@audit_app.command("check-chain")
def check_chain(ctx: typer.Context) -> None:
    """Recompute the hash chain of the local database's audit log."""
    from trading.audit.service import chain_errors, load_all

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            entries = await load_all(session)
        errors = chain_errors(entries)
        if errors:
            raise CliError(f"audit chain broken: {errors[0]} ({len(errors)} problem(s))")
        typer.echo(f"audit chain intact: {len(entries)} entries")

    with_runtime(ctx, go)


@audit_app.command("publish-head")
def publish_head(ctx: typer.Context) -> None:
    """Sign and publish a tree head over the local log (idempotent while it has not grown)."""
    from trading.audit.service import publish_tree_head

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            head = await publish_tree_head(session, rt.platform, rt.clock.now())
        typer.echo(
            f"签名树头 / signed tree head: size {head.tree_size} root {head.root}"
            f" at {head.timestamp.isoformat()}"
        )

    with_runtime(ctx, go)


@audit_app.command("verify")
def verify(
    url: Annotated[str, typer.Option(help="platform base URL", envvar="BIDHALL_SERVER")] = (
        "http://127.0.0.1:8000"
    ),
    heads: Annotated[
        Path | None,
        typer.Option(help="heads you saw before (JSON list); checked, then updated"),
    ] = None,
    platform_key: Annotated[
        str | None, typer.Option(help="pinned platform signing key (base64url)")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="supervisor API token: also check every body and the hash chain"),
    ] = None,
) -> None:
    """Check the published log: head signatures, roots, consistency, (bodies with --token)."""
    from bidding.client.verify import (
        ApiClient,
        ApiError,
        LogError,
        load_heads_file,
        save_heads_file,
        verify_log,
    )

    try:
        saved = load_heads_file(heads) if heads else []
        with ApiClient(url, token) as api:
            summary, good = verify_log(
                api, pinned_key=platform_key, saved_heads=saved, with_bodies=bool(token)
            )
        if heads:
            save_heads_file(heads, good)
    except (ApiError, LogError) as exc:
        raise CliError(f"审计日志验证失败 / audit log verification failed: {exc}") from exc
    latest = summary.latest
    typer.echo(
        f"审计日志验证通过 / audit log verified: {summary.entries} entries;"
        f" {summary.heads} signed tree head(s), latest size {latest['tree_size']}"
        f" root {latest['root'][:16]}… at {latest['timestamp']};"
        f" {summary.consistency_checked} consistency proof(s);"
        f" {summary.public_bodies_checked} public bodies"
        + (f"; {summary.bodies_checked} bodies and hash chain" if token else "")
        + " checked"
    )
