"""`bidhall evaluate`: anyone reruns a published result offline.

bidhall evaluate FILE.json        the ranking from its published input (`rank`, the default)
bidhall evaluate draw FILE.json   the committee from its published draw document
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from evaluation.experts.draw import DrawError, rerun
from evaluation.offline import evaluate_json
from trading.kernel.cli import CliError


class RankByDefault(TyperGroup):
    """`bidhall evaluate FILE` keeps meaning `bidhall evaluate rank FILE`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["rank", *args]
        return super().resolve_command(ctx, args)


evaluate_app = typer.Typer(
    cls=RankByDefault, no_args_is_help=True, help="Recompute a published result offline."
)


def _read(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror}") from exc
    return text


@evaluate_app.command()
def rank(
    file: Annotated[Path, typer.Argument(help="published evaluation input (JSON)")],
) -> None:
    """Recompute a ranking offline from its published input."""
    text = _read(file)
    document = json.loads(text)
    # Accept the API's {"input": ..., "ranking": ...} as well as a bare input document.
    if isinstance(document, dict) and "input" in document:
        text = json.dumps(document["input"], ensure_ascii=False)
    typer.echo(json.dumps(evaluate_json(text), ensure_ascii=False, indent=2))


@evaluate_app.command()
def draw(
    file: Annotated[Path, typer.Argument(help="published draw document (JSON)")],
) -> None:
    """Rerun a committee draw from its published document (pool snapshot, demand, seed)."""
    document = json.loads(_read(file))
    # Accept GET /api/v1/lots/{id}/committee as published as well as the bare document.
    if isinstance(document, dict) and isinstance(document.get("document"), dict):
        document = document["document"]
    try:
        out = rerun(document)
    except DrawError as exc:
        raise CliError(str(exc)) from exc
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
