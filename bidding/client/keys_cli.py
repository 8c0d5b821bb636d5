"""`bidhall keys new|register`: the party's identity keys, made and kept on its own machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bidding.client.cli_support import (
    MIN_PASSPHRASE,
    CliError,
    KeyOpt,
    PassFileOpt,
    ServerOpt,
    TokenOpt,
    one_line_errors,
    open_identity,
    platform_sign_pub,
    read_passphrase,
    sidecar,
    write_json_atomic,
)
from bidding.client.verify import ApiClient
from crypto import signing
from crypto.keys import (
    KEY_FILE_VERSION,
    generate_identity,
    key_id,
    load_identity,
    save_identity,
)

keys_app = typer.Typer(no_args_is_help=True, help="身份密钥 / identity keys")


@keys_app.command("new")
def keys_new(
    out: Annotated[Path, typer.Option(help="where to write the encrypted key file")],
    passphrase_file: PassFileOpt = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Create your signing (Ed25519) and encryption (X25519) keys, protected by a passphrase."""
    if out.exists() and not force:
        raise CliError(f"文件已存在，未覆盖 / {out} exists (use --force to replace it)")
    if not out.parent.is_dir():
        raise CliError(f"目录不存在 / directory does not exist: {out.parent}")
    passphrase = read_passphrase(passphrase_file, confirm=True)
    if len(passphrase) < MIN_PASSPHRASE:
        raise CliError(
            f"口令至少 {MIN_PASSPHRASE} 个字符 / use at least {MIN_PASSPHRASE} characters"
        )
    identity = generate_identity()
    with one_line_errors():
        save_identity(identity, out, passphrase)
    public = identity.public().to_dict()
    typer.echo(f"已生成密钥 / key file written: {out}")
    typer.echo(f"sign_pub {public['sign_pub']}  ({key_id(identity.sign_pub)})")
    typer.echo(f"enc_pub  {public['enc_pub']}")


@keys_app.command("upgrade")
def keys_upgrade(key: KeyOpt, passphrase_file: PassFileOpt = None) -> None:
    """Rewrite an older key file (version 1, scrypt) in the current format, which the browser's
    key page can import too; same keys, same passphrase."""
    if not key.is_file():
        raise CliError(f"找不到密钥文件 / key file not found: {key}")
    passphrase = read_passphrase(passphrase_file)
    identity = load_identity(key, passphrase)  # KeyFileError: one line
    with one_line_errors():
        version = json.loads(key.read_text(encoding="utf-8")).get("version")
    if version == KEY_FILE_VERSION:
        typer.echo(f"已是当前格式 / already in the current format (version {version}): {key}")
        return
    with one_line_errors():
        save_identity(identity, key, passphrase)
    typer.echo(
        f"已转换为第 {KEY_FILE_VERSION} 版格式，可导入浏览器 / rewritten as version "
        f"{KEY_FILE_VERSION} (importable in the browser): {key} ({key_id(identity.sign_pub)})"
    )


@keys_app.command("register")
def keys_register(
    server: ServerOpt,
    token: TokenOpt,
    key: KeyOpt,
    passphrase_file: PassFileOpt = None,
    platform_key: Annotated[str | None, typer.Option(help="pinned platform key")] = None,
) -> None:
    """Register your public keys with the platform (PUT /api/v1/me/keys); keep its certificate."""
    identity = open_identity(key, passphrase_file)
    mine = identity.public().to_dict()
    with one_line_errors(), ApiClient(server, token) as api:
        answer = api.json("PUT", "/api/v1/me/keys", json=mine)
        subject = signing.verify_certificate(
            answer["certificate"], platform_sign_pub(api, platform_key)
        )
    if (subject["sign_pub"], subject["enc_pub"]) != (mine["sign_pub"], mine["enc_pub"]):
        raise CliError("平台证书中的公钥与本地不符 / the certificate names other keys")
    cert_path = sidecar(key, ".cert.json")
    with one_line_errors():
        write_json_atomic(cert_path, answer["certificate"])
    typer.echo(
        f"公钥已登记 / keys registered for {subject['name']} ({subject['party_id']});"
        f" certificate saved to {cert_path}"
    )
