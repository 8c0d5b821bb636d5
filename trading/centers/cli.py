"""`bidhall center …`: register centers, override rules per center, list the tree."""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from trading.kernel.actor import Actor
from trading.kernel.cli import with_runtime

center_app = typer.Typer(no_args_is_help=True, help="Trading centers (three-level network)")


def _operator() -> Actor:
    # The audit log names who ran the command on the server.
    return Actor(user_id=None, name=f"cli:{getpass.getuser()}", roles=frozenset({"system"}))


@center_app.command("add")
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="6-digit administrative division code")],
    name: Annotated[str, typer.Argument(help="center name (Chinese)")],
    parent: Annotated[
        str | None, typer.Option(help="parent center code (default: nearest center above)")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "Asia/Shanghai",
    name_en: Annotated[str, typer.Option(help="English name")] = "",
) -> None:
    """Register a trading center under the nearest center above it in the division tree."""
    from trading.centers import service

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            center = await service.add_center(
                session,
                _operator(),
                code=code,
                name=name,
                name_en=name_en,
                parent_code=parent,
                timezone=timezone,
                now=rt.clock.now(),
            )
        typer.echo(f"added {center.code} {center.name} ({center.level}, {center.timezone})")

    with_runtime(ctx, go)


@center_app.command("set-rule")
def set_rule(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="center code")],
    rule_id: Annotated[str, typer.Argument(help="rule id, e.g. bid_period_days")],
    value: Annotated[str, typer.Argument(help="new value, or 'default' to remove the override")],
) -> None:
    """Override one rule for a center (checked against every ruleset that has it; audited)."""
    from trading.centers import service

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            result = await service.set_rule(
                session, _operator(), code, rule_id, value, now=rt.clock.now()
            )
        typer.echo(
            f"{result['center']} {result['rule']}: {result['before'] or 'statutory'}"
            f" → {result['after'] or 'statutory'}"
        )

    with_runtime(ctx, go)


@center_app.command("list")
def list_centers(ctx: typer.Context) -> None:
    """The tree of centers with their published and awarded lot counts."""
    from trading.centers import service

    async def go(rt: Any) -> None:
        async with rt.sessionmaker() as session:
            roots = await service.tree(session)
        for root in roots:
            for node, depth in _walk(root, 0):
                c = node.center
                overrides = " ".join(f"{k}={v}" for k, v in sorted(c.rule_overrides.items()))
                typer.echo(
                    f"{'  ' * depth}{c.code} {c.name} [{c.level}, {c.timezone}] "
                    f"lots {node.published}/{node.published_subtree} "
                    f"awarded {node.awarded}/{node.awarded_subtree}"
                    + (f" rules: {overrides}" if overrides else "")
                )

    with_runtime(ctx, go)


def _walk(node: Any, depth: int) -> list[tuple[Any, int]]:
    out = [(node, depth)]
    for child in node.children:
        out.extend(_walk(child, depth + 1))
    return out
