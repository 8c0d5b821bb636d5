"""The bidder's and custodian's client: `bidhall keys|bid|receipt|custody …`.

Runs on the party's own machine. Private keys stay in the passphrase-protected key file;
the server only ever sees public keys, sealed envelopes, signatures and released shares.
Every failure is one line on stderr and exit status 2 (see bidhall.cli.main).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
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

from bidding.client.sealing import own_file_key, seal_bid
from bidding.client.verify import (
    ApiClient,
    ApiError,
    LogError,
    load_heads_file,
    save_heads_file,
    verify_log,
)
from crypto import bundle, envelope, receipts, signing
from crypto.custody import open_share
from crypto.encoding import b64u_decode, b64u_encode
from crypto.keys import Identity, generate_identity, key_id, load_identity, save_identity
from crypto.labels import envelope_lot_id, lot_id_of

keys_app = typer.Typer(no_args_is_help=True, help="身份密钥 / identity keys")
bid_app = typer.Typer(no_args_is_help=True, help="密封、提交、解密投标 / seal, submit, open bids")
receipt_app = typer.Typer(no_args_is_help=True, help="投标回执 / submission receipts")
audit_app = typer.Typer(no_args_is_help=True, help="审计日志 / audit log")


class CliError(Exception):
    """Shown as one line on stderr, exit status 2 (the client's own: it imports no server code)."""


custody_app = typer.Typer(no_args_is_help=True, help="开标密钥分片 / opening key shares")

CHUNK = 1 << 20
MIN_PASSPHRASE = 8
PASSPHRASE_ENV = "BIDHALL_KEY_PASSPHRASE"

KeyOpt = Annotated[Path, typer.Option("--key", help="your identity key file")]
PassFileOpt = Annotated[
    Path | None,
    typer.Option(help=f"read the passphrase from this file (else ${PASSPHRASE_ENV}, else ask)"),
]
ServerOpt = Annotated[str, typer.Option(help="platform base URL", envvar="BIDHALL_SERVER")]
TokenOpt = Annotated[
    str, typer.Option(help="API token (POST /api/v1/auth/token)", envvar="BIDHALL_TOKEN")
]


# ---- shared plumbing --------------------------------------------------------------------------


@contextmanager
def _one_line() -> Iterator[None]:
    """Turn expected failures (network, server refusal, files) into one-line CLI errors."""
    try:
        yield
    except ApiError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise CliError(f"文件错误 / file error{where}: {exc.strerror or exc}") from exc


def _progress(what: str) -> Progress:
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


def _passphrase(passphrase_file: Path | None, *, confirm: bool = False) -> str:
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


def _identity(key: Path, passphrase_file: Path | None) -> Identity:
    if not key.is_file():
        raise CliError(f"找不到密钥文件 / key file not found: {key}")
    return load_identity(key, _passphrase(passphrase_file))  # KeyFileError: one line


def _platform_key(api: ApiClient | None, pinned: str | None) -> bytes:
    if pinned:
        text = pinned
    elif api is not None:
        text = api.get("/api/v1/platform/key")["sign_pub"]
    else:
        raise CliError("需要 --server 或 --platform-key / give --server or --platform-key")
    return b64u_decode(text, length=32, what="platform key")


def _write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    total = path.stat().st_size
    with _progress("校验 / hashing") as bar, path.open("rb") as fh:
        task = bar.add_task("hash", total=total)
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            bar.update(task, advance=len(chunk))
    return digest.hexdigest(), size


def _read_header(path: Path) -> envelope.Header:
    if not path.is_file():
        raise CliError(f"找不到密封投标文件 / sealed file not found: {path}")
    with path.open("rb") as fh:
        return envelope.read_header(fh)


def sidecar(sealed: Path, suffix: str) -> Path:
    """Files kept next to a sealed bid: `.sig` (signature), `.receipt.json` (receipt)."""
    return sealed.with_name(sealed.name + suffix)


# ---- keys -------------------------------------------------------------------------------------


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
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < MIN_PASSPHRASE:
        raise CliError(
            f"口令至少 {MIN_PASSPHRASE} 个字符 / use at least {MIN_PASSPHRASE} characters"
        )
    identity = generate_identity()
    with _one_line():
        save_identity(identity, out, passphrase)
    public = identity.public().to_dict()
    typer.echo(f"已生成密钥 / key file written: {out}")
    typer.echo(f"sign_pub {public['sign_pub']}  ({key_id(identity.sign_pub)})")
    typer.echo(f"enc_pub  {public['enc_pub']}")


@keys_app.command("register")
def keys_register(
    server: ServerOpt,
    token: TokenOpt,
    key: KeyOpt,
    passphrase_file: PassFileOpt = None,
    platform_key: Annotated[str | None, typer.Option(help="pinned platform key")] = None,
) -> None:
    """Register your public keys with the platform (PUT /api/v1/me/keys); keep its certificate."""
    identity = _identity(key, passphrase_file)
    mine = identity.public().to_dict()
    with _one_line(), ApiClient(server, token) as api:
        answer = api.json("PUT", "/api/v1/me/keys", json=mine)
        subject = signing.verify_certificate(
            answer["certificate"], _platform_key(api, platform_key)
        )
    if (subject["sign_pub"], subject["enc_pub"]) != (mine["sign_pub"], mine["enc_pub"]):
        raise CliError("平台证书中的公钥与本地不符 / the certificate names other keys")
    cert_path = sidecar(key, ".cert.json")
    with _one_line():
        _write_json_atomic(cert_path, answer["certificate"])
    typer.echo(
        f"公钥已登记 / keys registered for {subject['name']} ({subject['party_id']});"
        f" certificate saved to {cert_path}"
    )


# ---- bids -------------------------------------------------------------------------------------


def _opening_pub(server: str | None, lot: int, given: str | None) -> bytes:
    if given:
        return b64u_decode(given, length=32, what="opening key")
    if not server:
        raise CliError("需要 --server 或 --opening-pub / give --server or --opening-pub")
    with _one_line(), ApiClient(server) as api:
        offset = 0
        while True:
            page = api.get("/api/v1/lots", state="announced", limit=500, offset=offset)
            for item in page:
                if item["id"] == lot and item.get("opening_pub"):
                    return b64u_decode(item["opening_pub"], length=32, what="opening key")
            if len(page) < 500:
                break
            offset += 500
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
    identity = _identity(key, passphrase_file)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with _progress("密封 / sealing") as bar, _one_line():
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
    identity = _identity(key, passphrase_file)
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
    header = _read_header(sealed)
    lot = lot_id_of(header.lot_id)
    if lot is None:
        raise CliError(f"信封未指明平台标段 / envelope names no lot: {header.lot_id!r}")
    with _one_line():
        sha, size = _sha256_file(sealed)
    signature = _signature(sealed, header, sha, signature_file, key, passphrase_file)

    def body() -> Iterator[bytes]:
        with _progress("上传 / uploading") as bar, sealed.open("rb") as fh:
            task = bar.add_task("upload", total=size)
            while chunk := fh.read(CHUNK):
                bar.update(task, advance=len(chunk))
                yield chunk

    with _one_line(), ApiClient(server, token, timeout=3600) as api:
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
        check_receipt(answer["receipt"], _platform_key(api, platform_key), header, sha, size)
        path = sidecar(sealed, ".receipt.json")
        _write_json_atomic(path, answer["receipt"])
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
) -> None:
    """At the opening (不见面开标): unwrap your own stanza here and release the bid's file key,
    so the platform opens your bid without the custodians' key."""
    header = _read_header(sealed)
    identity = _identity(key, passphrase_file)
    with _one_line(), ApiClient(server, token) as api:
        file_key = own_file_key(header, identity)
        lot = lot_id_of(header.lot_id)
        if lot is None:
            raise CliError(f"信封未指明标段 / the envelope names no lot: {header.lot_id!r}")
        answer = api.json(
            "POST", f"/api/v1/lots/{lot}/bids/mine/file-key", json={"file_key": file_key}
        )
    typer.echo(f"已解密本单位投标 / your bid is decrypted; lot state: {answer['state']}")


@bid_app.command("open-own")
def bid_open_own(
    sealed: Annotated[Path, typer.Argument(help="your sealed file")],
    key: KeyOpt,
    out: Annotated[Path, typer.Option(help="a new directory for the price form and files")],
    passphrase_file: PassFileOpt = None,
) -> None:
    """Decrypt your own stanza (不见面开标) and unpack: all or nothing, never partial output."""
    header = _read_header(sealed)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CliError(f"输出目录已存在且非空 / {out} exists and is not empty")
    if not out.parent.is_dir():
        raise CliError(f"目录不存在 / directory does not exist: {out.parent}")
    identity = _identity(key, passphrase_file)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with _one_line(), tempfile.TemporaryFile(dir=work) as plain:
            with _progress("解密 / decrypting") as bar, sealed.open("rb") as src:
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
            _write_json_atomic(work / "price_form.json", form)
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


# ---- receipts ---------------------------------------------------------------------------------


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
    pub = _platform_key(None, platform_key) if platform_key else b""
    included = ""
    if server:
        with _one_line(), ApiClient(server) as api:
            pub = pub or _platform_key(api, None)
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
    from crypto import merkle

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


# ---- custody ----------------------------------------------------------------------------------


@custody_app.command("release")
def custody_release(
    lot: Annotated[int, typer.Option(help="lot id")],
    key: KeyOpt,
    server: ServerOpt,
    token: TokenOpt,
    passphrase_file: PassFileOpt = None,
) -> None:
    """At the opening: fetch your sealed share, open it with your key here, release it."""
    identity = _identity(key, passphrase_file)
    with _one_line(), ApiClient(server, token) as api:
        sealed_share = api.get(f"/api/v1/lots/{lot}/custody/mine")
        released = open_share(sealed_share, identity.enc_priv)
        answer = api.json(
            "POST", f"/api/v1/lots/{lot}/custody/release", json={"share": released.to_dict()}
        )
    typer.echo(
        f"已释放密钥分片 {released.index} / share {released.index} released for lot {lot};"
        f" lot state: {answer['state']}"
    )


@audit_app.command("verify")
def audit_verify(
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
