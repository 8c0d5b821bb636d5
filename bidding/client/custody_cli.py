"""`bidhall custody release`: a custodian opens its key share locally and releases it."""

from __future__ import annotations

from typing import Annotated

import typer

from bidding.client.cli_support import (
    KeyOpt,
    PassFileOpt,
    ServerOpt,
    TokenOpt,
    WaitOpt,
    one_line_errors,
    open_identity,
)
from bidding.client.verify import ApiClient, follow_opening
from crypto.custody import open_share

custody_app = typer.Typer(no_args_is_help=True, help="开标密钥分片 / opening key shares")


@custody_app.command("release")
def custody_release(
    lot: Annotated[int, typer.Option(help="lot id")],
    key: KeyOpt,
    server: ServerOpt,
    token: TokenOpt,
    passphrase_file: PassFileOpt = None,
    wait: WaitOpt = False,
) -> None:
    """At the opening: fetch your sealed share, open it with your key here, release it."""
    identity = open_identity(key, passphrase_file)
    with one_line_errors(), ApiClient(server, token) as api:
        sealed_share = api.get(f"/api/v1/lots/{lot}/custody/mine")
        released = open_share(sealed_share, identity.enc_priv)
        answer = api.json(
            "POST", f"/api/v1/lots/{lot}/custody/release", json={"share": released.to_dict()}
        )
        typer.echo(
            f"已释放密钥分片 {released.index} / share {released.index} released for lot {lot};"
            f" lot state: {answer['state']}"
        )
        if wait and answer["state"] == "opening":
            state = follow_opening(api, lot, typer.echo)
            typer.echo(f"开标结束 / the opening settled; lot state: {state}")
