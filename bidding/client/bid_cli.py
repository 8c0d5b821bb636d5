"""`bidhall bid seal|submit|release-key|open-own`: a bidder's sealed bid, start to opening."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from bidding.client.cli_support import (
    CHUNK,
    CliError,
    KeyOpt,
    PassFileOpt,
    ServerOpt,
    TokenOpt,
    WaitOpt,
    one_line_errors,
    open_identity,
    platform_sign_pub,
    progress_bar,
    read_header,
    sha256_file,
    sidecar,
    write_json_atomic,
)
from bidding.client.sealing import own_file_key, seal_bid
from bidding.client.verify import ApiClient, follow_opening
from crypto import bundle, envelope, receipts, signing
from crypto.encoding import b64u_decode, b64u_encode
from crypto.labels import envelope_lot_id, lot_id_of

bid_app = typer.Typer(no_args_is_help=True, help="密封、提交、解密投标 / seal, submit, open bids")

LOTS_PAGE = 500


def _opening_pub(server: str | None, lot: int, given: str | None) -> bytes:
    if given:
        return b64u_decode(given, length=32, what="opening key")
    if not server:
        raise CliError("需要 --server 或 --opening-pub / give --server or --opening-pub")
    with one_line_errors(), ApiClient(server) as api:
        offset = 0
        while True:
            page = api.get("/api/v1/lots", state="announced", limit=LOTS_PAGE, offset=offset)
            for item in page:
                if item["id"] == lot and item.get("opening_pub"):
                    return b64u_decode(item["opening_pub"], length=32, what="opening key")
            if len(page) < LOTS_PAGE:
                break
            offset += LOTS_PAGE
    raise CliError(f"标段 {lot} 不在投标期 / lot {lot} is not accepting bids on {server}")


def _price_form(
    price_form: Path | None, price: str | None, duration: int | None, quality: str
) -> dict[str, Any]:
    if price_form is not None:
        if price is not None:
            raise CliError("--price-form 与 --price 只能二选一 / give --price-form or --price")
        try:
            form = json.loads(price_form.read_text(encoding="utf-8"), parse_float=Decimal)
        except OSError as exc:
            raise CliError(f"无法读取 / cannot read {price_form}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise CliError(f"开标一览表不是有效 JSON / {price_form}: {exc}") from exc
        if not isinstance(form, dict) or not isinstance(form.get("price"), str):
            raise CliError('开标一览表须含字符串 price / the price form needs "price" as a string')
        extra = {k: v for k, v in form.items() if k not in {"price", "duration_days", "quality"}}
        return bundle.make_price_form(
            price=form["price"],
            duration_days=form.get("duration_days"),  # type: ignore[arg-type]
            quality=form.get("quality", quality),
            **extra,
        )
    if price is None or duration is None:
        raise CliError("需要 --price 和 --duration（或 --price-form）/ give --price and --duration")
    return bundle.make_price_form(price=price, duration_days=duration, quality=quality)


@bid_app.command("seal")
def bid_seal(
    key: KeyOpt,
    lot: Annotated[int, typer.Option(help="lot id on the platform")],
    bidder: Annotated[str, typer.Option(help="your organization's USCC (统一社会信用代码)")],
    out: Annotated[Path, typer.Option(help="the sealed file to write")],
    file: Annotated[list[Path] | None, typer.Option("--file", help="a bid document")] = None,
    price: Annotated[str | None, typer.Option(help="bid price (元), e.g. 9100000.00")] = None,
    duration: Annotated[int | None, typer.Option(help="duration in days (工期)")] = None,
    quality: Annotated[str, typer.Option(help="quality commitment")] = "合格",
    price_form: Annotated[Path | None, typer.Option(help="price form JSON (开标一览表)")] = None,
    version: Annotated[int, typer.Option(help="submission version (later replaces earlier)")] = 1,
    server: Annotated[str | None, typer.Option(envvar="BIDHALL_SERVER")] = None,
    opening_pub: Annotated[str | None, typer.Option(help="lot's opening key (offline)")] = None,
    passphrase_file: PassFileOpt = None,
) -> None:
    """Seal the price form and documents to the lot's opening key (and to yourself), sign."""
    files = list(file or [])
    for path in files:
        if not path.is_file():
            raise CliError(f"找不到文件 / file not found: {path}")
    if out.exists():
        raise CliError(f"输出文件已存在 / {out} exists: choose another --out")
    if not out.parent.is_dir():
        raise CliError(f"目录不存在 / directory does not exist: {out.parent}")
    form = _price_form(price_form, price, duration, quality)
    pub = _opening_pub(server, lot, opening_pub)
    identity = open_identity(key, passphrase_file)
    # Seal into a temp file beside --out: a failure never leaves a half-written bid.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with progress_bar("密封 / sealing") as bar, one_line_errors():
            task = bar.add_task("seal", total=None)
            sealed = seal_bid(
                identity,
                lot_id=envelope_lot_id(lot),
                bidder_id=bidder,
                version=version,
                opening_pub=pub,
                price_form=form,
                files=[(p.name, p) for p in files],
                out=tmp,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
            sidecar(out, ".sig").write_text(sealed.signature + "\n", encoding="utf-8")
            os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    typer.echo(
        f"已密封 / sealed: {out} ({sealed.size} bytes, sha256 {sealed.ciphertext_sha256});"
        f" signature in {sidecar(out, '.sig')}"
    )


def _signature(
    sealed: Path,
    header: envelope.Header,
    sha: str,
    signature_file: Path | None,
    key: Path | None,
    passphrase_file: Path | None,
) -> str:
    path = signature_file or sidecar(sealed, ".sig")
    if signature_file is not None or (key is None and path.is_file()):
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CliError(f"无法读取签名文件 / cannot read {path}: {exc.strerror}") from exc
    if key is None:
        raise CliError("需要 --signature-file 或 --key / give --signature-file or --key")
    identity = open_identity(key, passphrase_file)
    message = receipts.submission_message(
        header.lot_id, header.bidder_id, header.version, header.sha256, sha
    )
    return b64u_encode(signing.sign(identity.sign_priv, message))


def check_receipt(
    receipt: Any, platform_pub: bytes, header: envelope.Header, sha: str, size: int
) -> None:
    """The receipt is genuine and about exactly the file we sent."""
    receipts.verify_receipt(receipt, platform_pub)
    expected = {
        "lot_id": header.lot_id,
        "bidder_id": header.bidder_id,
        "version": header.version,
        "ciphertext_sha256": sha,
        "size": size,
    }
    wrong = [k for k, v in expected.items() if receipt[k] != v]
    if wrong:
        raise CliError(
            f"回执与提交的文件不符 / receipt does not match the file: {', '.join(wrong)}"
        )


@bid_app.command("submit")
def bid_submit(
    sealed: Annotated[Path, typer.Argument(help="the sealed file (from `bid seal`)")],
    server: ServerOpt,
    token: TokenOpt,
    signature_file: Annotated[Path | None, typer.Option(help="default: SEALED.sig")] = None,
    key: Annotated[Path | None, typer.Option(help="re-sign with this key instead")] = None,
    passphrase_file: PassFileOpt = None,
    platform_key: Annotated[str | None, typer.Option(help="pinned platform key")] = None,
) -> None:
    """Upload (streamed) and keep the platform's signed receipt next to the file."""
    header = read_header(sealed)
    lot = lot_id_of(header.lot_id)
    if lot is None:
        raise CliError(f"信封未指明平台标段 / envelope names no lot: {header.lot_id!r}")
    with one_line_errors():
        sha, size = sha256_file(sealed)
    signature = _signature(sealed, header, sha, signature_file, key, passphrase_file)

    def body() -> Iterator[bytes]:
        with progress_bar("上传 / uploading") as bar, sealed.open("rb") as fh:
            task = bar.add_task("upload", total=size)
            while chunk := fh.read(CHUNK):
                bar.update(task, advance=len(chunk))
                yield chunk

    with one_line_errors(), ApiClient(server, token, timeout=3600) as api:
        answer = api.json(
            "POST",
            f"/api/v1/lots/{lot}/bids",
            content=body(),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),
                "X-Bid-Signature": signature,
            },
        )
        pub = platform_sign_pub(api, platform_key)
        check_receipt(answer["receipt"], pub, header, sha, size)
        path = sidecar(sealed, ".receipt.json")
        write_json_atomic(path, answer["receipt"])
    typer.echo(
        f"已提交 / submitted: bid {answer['bid_id']} to lot {lot}, version {header.version};"
        f" receipt (audit #{answer['receipt']['audit_index']}) saved to {path}"
    )


@bid_app.command("release-key")
def bid_release_key(
    sealed: Annotated[Path, typer.Argument(help="the sealed file you submitted")],
    key: KeyOpt,
    server: ServerOpt,
    token: TokenOpt,
    passphrase_file: PassFileOpt = None,
    wait: WaitOpt = False,
) -> None:
    """At the opening (不见面开标): unwrap your own stanza here and release the bid's file key,
    so the platform opens your bid without the custodians' key."""
    header = read_header(sealed)
    identity = open_identity(key, passphrase_file)
    with one_line_errors(), ApiClient(server, token) as api:
        file_key = own_file_key(header, identity)
        lot = lot_id_of(header.lot_id)
        if lot is None:
            raise CliError(f"信封未指明标段 / the envelope names no lot: {header.lot_id!r}")
        answer = api.json(
            "POST", f"/api/v1/lots/{lot}/bids/mine/file-key", json={"file_key": file_key}
        )
        typer.echo(f"已解密本单位投标 / your bid is decrypted; lot state: {answer['state']}")
        if wait and answer["state"] == "opening":
            state = follow_opening(api, lot, typer.echo)
            typer.echo(f"开标结束 / the opening settled; lot state: {state}")


@bid_app.command("open-own")
def bid_open_own(
    sealed: Annotated[Path, typer.Argument(help="your sealed file")],
    key: KeyOpt,
    out: Annotated[Path, typer.Option(help="a new directory for the price form and files")],
    passphrase_file: PassFileOpt = None,
) -> None:
    """Decrypt your own stanza (不见面开标) and unpack: all or nothing, never partial output."""
    header = read_header(sealed)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CliError(f"输出目录已存在且非空 / {out} exists and is not empty")
    if not out.parent.is_dir():
        raise CliError(f"目录不存在 / directory does not exist: {out.parent}")
    identity = open_identity(key, passphrase_file)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with one_line_errors(), tempfile.TemporaryFile(dir=work) as plain:
            with progress_bar("解密 / decrypting") as bar, sealed.open("rb") as src:
                task = bar.add_task("open", total=sealed.stat().st_size)
                envelope.open_envelope(
                    src,
                    plain,
                    recipient_priv=identity.enc_priv,
                    progress=lambda done: bar.update(task, completed=done),
                )
            plain.seek(0)
            files_dir = work / "files"
            files_dir.mkdir()
            form, entries = bundle.unpack_bundle(plain, files_dir)
            names = [entry.name for entry in entries]  # verifies every file's digest
            write_json_atomic(work / "price_form.json", form)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    typer.echo(
        f"已解密 / opened {header.lot_id} version {header.version}: price {form.get('price')},"
        f" {len(names)} file(s) in {out}"
    )
