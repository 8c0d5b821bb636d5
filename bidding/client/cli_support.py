"""What every client command shares: CliError, the common options, keys, files, progress.

Runs on the party's own machine, so it imports nothing of the server.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from bidding.client.verify import ApiClient, ApiError
from crypto import envelope
from crypto.encoding import b64u_decode
from crypto.keys import Identity, load_identity


class CliError(Exception):
    """Shown as one line on stderr, exit status 2 (the client's own: it imports no server code)."""


CHUNK = 1 << 20
MIN_PASSPHRASE = 8
PASSPHRASE_ENV = "BIDHALL_KEY_PASSPHRASE"

KeyOpt = Annotated[Path, typer.Option("--key", help="your identity key file")]
PassFileOpt = Annotated[
    Path | None,
    typer.Option(help=f"read the passphrase from this file (else ${PASSPHRASE_ENV}, else ask)"),
]
ServerOpt = Annotated[str, typer.Option(help="platform base URL", envvar="BIDHALL_SERVER")]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="follow the hall until the opening settles (decryption runs on the platform)",
    ),
]
TokenOpt = Annotated[
    str, typer.Option(help="API token (POST /api/v1/auth/token)", envvar="BIDHALL_TOKEN")
]


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn expected failures (network, server refusal, files) into one-line CLI errors."""
    try:
        yield
    except ApiError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise CliError(f"文件错误 / file error{where}: {exc.strerror or exc}") from exc


def progress_bar(what: str) -> Progress:
    # Bars go to stderr and only to a terminal: stdout stays clean for scripts.
    return Progress(
        TextColumn(what),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def read_passphrase(passphrase_file: Path | None, *, confirm: bool = False) -> str:
    """From --passphrase-file (first line), else the environment, else a hidden prompt."""
    if passphrase_file is not None:
        try:
            text = passphrase_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(
                f"无法读取口令文件 / cannot read passphrase file {passphrase_file}: {exc.strerror}"
            ) from exc
        passphrase = text.splitlines()[0] if text else ""
    elif os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV]
    else:
        passphrase = typer.prompt(
            "密钥口令 / key passphrase", hide_input=True, confirmation_prompt=confirm
        )
    if not passphrase:
        raise CliError("口令为空 / the passphrase is empty")
    return passphrase


def open_identity(key: Path, passphrase_file: Path | None) -> Identity:
    if not key.is_file():
        raise CliError(f"找不到密钥文件 / key file not found: {key}")
    return load_identity(key, read_passphrase(passphrase_file))  # KeyFileError: one line


def platform_sign_pub(api: ApiClient | None, pinned: str | None) -> bytes:
    """The platform's signing key: the pinned one if given, else as the server publishes it."""
    if pinned:
        text = pinned
    elif api is not None:
        text = api.get("/api/v1/platform/key")["sign_pub"]
    else:
        raise CliError("需要 --server 或 --platform-key / give --server or --platform-key")
    return b64u_decode(text, length=32, what="platform key")


def write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    total = path.stat().st_size
    with progress_bar("校验 / hashing") as bar, path.open("rb") as fh:
        task = bar.add_task("hash", total=total)
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            bar.update(task, advance=len(chunk))
    return digest.hexdigest(), size


def read_header(path: Path) -> envelope.Header:
    if not path.is_file():
        raise CliError(f"找不到密封投标文件 / sealed file not found: {path}")
    with path.open("rb") as fh:
        return envelope.read_header(fh)


def sidecar(sealed: Path, suffix: str) -> Path:
    """Files kept next to a sealed bid: `.sig` (signature), `.receipt.json` (receipt)."""
    return sealed.with_name(sealed.name + suffix)
