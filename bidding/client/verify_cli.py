"""`bidhall receipt verify` and `bidhall audit verify`: what anyone can check of a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bidding.client.cli_support import CliError, one_line_errors, platform_sign_pub
from bidding.client.verify import (
    ApiClient,
    ApiError,
    LogError,
    load_heads_file,
    save_heads_file,
    verify_log,
)
from bidding.client.verify_resume import verify_since
from crypto import merkle, receipts

receipt_app = typer.Typer(no_args_is_help=True, help="投标回执 / submission receipts")
audit_app = typer.Typer(no_args_is_help=True, help="审计日志 / audit log")


@receipt_app.command("verify")
def receipt_verify(
    receipt_file: Annotated[Path, typer.Argument(help="RECEIPT.json")],
    server: Annotated[str | None, typer.Option(envvar="BIDHALL_SERVER")] = None,
    platform_key: Annotated[str | None, typer.Option(help="pinned platform key (offline)")] = None,
) -> None:
    """Check a receipt's platform signature (offline with --platform-key); with --server also
    prove its audit entry is in the latest signed tree head."""
    try:
        receipt = json.loads(receipt_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"无法读取回执 / cannot read {receipt_file}: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"回执不是有效 JSON / {receipt_file} is not JSON") from exc
    if not server and not platform_key:
        raise CliError("需要 --server 或 --platform-key / give --server or --platform-key")
    pub = platform_sign_pub(None, platform_key) if platform_key else b""
    included = ""
    if server:
        with one_line_errors(), ApiClient(server) as api:
            pub = pub or platform_sign_pub(api, None)
            receipts.verify_receipt(receipt, pub)  # ReceiptError: one line
            included = _inclusion(api, pub, receipt["audit_index"])
    else:
        receipts.verify_receipt(receipt, pub)
    typer.echo(
        f"回执有效 / receipt valid: {receipt['lot_id']} bidder {receipt['bidder_id']}"
        f" version {receipt['version']} sha256 {receipt['ciphertext_sha256']}"
        f" received {receipt['received_at']} audit #{receipt['audit_index']}{included}"
    )


def _inclusion(api: ApiClient, pub: bytes, index: int) -> str:
    """Prove the receipt's audit entry is a leaf of the latest signed tree head."""
    heads = api.get("/api/v1/audit/heads", limit=1)
    if not heads or heads[0]["tree_size"] < index:
        return "; 尚未被签名树头覆盖 / not yet covered by a signed tree head"
    head = heads[0]
    merkle.verify_tree_head(head, pub)
    proof = api.get("/api/v1/audit/proof/inclusion", seq=index, tree_size=head["tree_size"])
    merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        index - 1,
        head["tree_size"],
        [bytes.fromhex(p) for p in proof["audit_path"]],
        merkle.tree_head_root(head),
    )
    return f"; 已记入签名树头 / in signed tree head of size {head['tree_size']}"


@audit_app.command("verify")
def audit_verify(
    url: Annotated[str, typer.Option(help="platform base URL", envvar="BIDHALL_SERVER")] = (
        "http://127.0.0.1:8000"
    ),
    heads: Annotated[
        Path | None,
        typer.Option(
            help="heads you saw before (JSON list): the log is checked from the largest one"
            " to the latest, then the file is updated"
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="check the whole log again, not only what is new")
    ] = False,
    platform_key: Annotated[
        str | None, typer.Option(help="pinned platform signing key (base64url)")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="supervisor API token: also check every body and the hash chain"),
    ] = None,
) -> None:
    """Check the published log: head signatures, roots, consistency, (bodies with --token).
    With a heads file from an earlier run, only what the log gained since its largest head."""
    try:
        saved = load_heads_file(heads) if heads else []
        resume = bool(saved) and not full and _largest_size(saved) > 0
        with ApiClient(url, token) as api:
            if resume:
                summary, good = verify_since(
                    api, saved_heads=saved, pinned_key=platform_key, with_bodies=bool(token)
                )
            else:
                summary, good = verify_log(
                    api, pinned_key=platform_key, saved_heads=saved, with_bodies=bool(token)
                )
        if heads:
            save_heads_file(heads, good)
    except (ApiError, LogError) as exc:
        raise CliError(f"审计日志验证失败 / audit log verification failed: {exc}") from exc
    latest = summary.latest
    since, size = summary.since, latest["tree_size"]
    if not resume:
        where = f"{summary.entries} entries; {summary.heads} signed tree head(s)"
    elif size == since:
        where = f"no signed tree head since the saved one ({summary.entries} entries now)"
    else:
        where = (
            f"entries {since + 1}..{size} after the saved head of size {since};"
            f" {summary.heads} new signed tree head(s)"
        )
    typer.echo(
        f"审计日志验证通过 / audit log verified: {where}, latest size {latest['tree_size']}"
        f" root {latest['root'][:16]}… at {latest['timestamp']};"
        f" {summary.consistency_checked} consistency proof(s);"
        f" {summary.public_bodies_checked} public bodies"
        + (f"; {summary.bodies_checked} bodies and hash chain" if token else "")
        + " checked"
    )


def _largest_size(heads: list[dict[str, object]]) -> int:
    sizes = [h.get("tree_size") for h in heads if isinstance(h, dict)]
    return max((s for s in sizes if type(s) is int), default=0)
