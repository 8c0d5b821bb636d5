"""`bidhall audit …` on the server: check the local hash chain, publish a signed tree head.

`bidhall audit verify`, what an outsider runs against a server, is the client's
(bidding/client/verify_cli.py)."""

from __future__ import annotations

from typing import Any

import typer

from trading.kernel.cli import CliError, with_runtime

audit_app = typer.Typer(no_args_is_help=True, help="Audit log")


@audit_app.command("check-chain")
def check_chain(ctx: typer.Context) -> None:
    """Check the local audit log in one streaming pass (constant memory): its hash chain,
    its stored Merkle tree, and every signed tree head's root and signature."""
    from trading.audit.sweep import sweep

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            result = await sweep(session, rt.platform.sign_pub)
        if result.problems:
            raise CliError(f"audit chain broken: {result.first()} ({result.problems} problem(s))")
        typer.echo(
            f"audit chain intact: {result.entries} entries; stored tree and"
            f" {result.heads} signed tree head(s) match"
        )

    with_runtime(ctx, go)


@audit_app.command("publish-head")
def publish_head(ctx: typer.Context) -> None:
    """Sign and publish a tree head over the local log (idempotent while it has not grown)."""
    from trading.audit.heads import publish_tree_head

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            head = await publish_tree_head(session, rt.platform, rt.clock.now())
        typer.echo(
            f"签名树头 / signed tree head: size {head.tree_size} root {head.root}"
            f" at {head.timestamp.isoformat()}"
        )

    with_runtime(ctx, go)
