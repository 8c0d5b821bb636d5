"""The sealed content: a tiny streaming container holding the price form and the bid files.

Layout, format 2 (all of it goes inside the envelope, so prices are as secret as documents)::

    magic      8 bytes  b"BHBNDL\\x00\\x02"
    length     4 bytes  big-endian length M of the manifest, at most 1 MiB
    padding    4 bytes  big-endian length P of the zero padding after the manifest
    manifest   M bytes  canonical JSON (see below)
    zeros      P bytes  so the head (16 + M + P bytes) fills a fixed bucket (see :func:`pad_length`)
    bodies              each file's bytes, in manifest order, back to back; nothing after

    manifest = {"type": "bidhall-bundle", "v": 1,
                "price_form": {...},                       # 开标一览表, no floats
                "files": [{"name": str, "size": int, "sha256": hex}, ...]}

The padding makes the plaintext's length, and so the ciphertext's, independent of the price
form: the head is sized as if the form were always :data:`MAX_PRICE_FORM` bytes long. Format
1 (magic ``...\\x00\\x01``, no padding field, no zeros) is still read, never written.

The price form sits first so :func:`read_price_form` reads only the manifest; digests are
in the manifest so the opening record can cite them before the bodies are read. Packing
therefore reads each file twice (hash, then copy): inputs must be paths or seekable.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from crypto.canonical import canonical_json
from crypto.encoding import is_hex_digest
from crypto.errors import BundleError, EncodingError, ParameterError

BUNDLE_MAGIC = b"BHBNDL\x00\x02"  # format 2: padded; the only format written
BUNDLE_MAGIC_V1 = b"BHBNDL\x00\x01"  # format 1: unpadded, read only (bids sealed before)
BUNDLE_TYPE = "bidhall-bundle"
MAX_MANIFEST = 1 << 20
# The price form's canonical JSON may take up to this many bytes; the head is padded as if it
# always did, to a multiple of PAD_BLOCK, so the price never changes the sealed size.
MAX_PRICE_FORM = 4096
PAD_BLOCK = 4096
_HEAD = len(BUNDLE_MAGIC) + 8  # magic, u32 M, u32 P
MAX_FILES = 10_000
_COPY = 1 << 20
_FORBIDDEN = set('/\\:*?"<>|')

Source = BinaryIO | str | os.PathLike[str]


# Ten trillion yuan: what the platform stores exactly (trading.kernel.money.MAX_AMOUNT + 0.01).
MAX_PRICE_BOUND = Decimal("10000000000000")


def make_price_form(
    *,
    price: Decimal | str,
    duration_days: int,
    quality: str,
    currency: str = "CNY",
    **extra: Any,
) -> dict[str, Any]:
    """A price form (开标一览表) in the shape the platform reads: the price as a decimal
    string (never a float), the duration in days, the quality commitment, plus extras."""
    try:
        amount = Decimal(price)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ParameterError(f"price {price!r} is not a decimal amount") from exc
    if isinstance(price, float) or not amount.is_finite() or amount < 0:
        raise ParameterError(f"price {price!r} must be a non-negative Decimal or decimal string")
    if amount >= MAX_PRICE_BOUND:
        # The platform revokes such a bid at the opening (trading.kernel.money.MAX_AMOUNT).
        raise ParameterError(f"price {price!r} is too large: at most 13 integer digits")
    if type(duration_days) is not int or duration_days <= 0:
        raise ParameterError("duration_days must be a positive int")
    if not isinstance(quality, str) or not quality:
        raise ParameterError("quality must be a non-empty string")
    form = {
        **extra,
        "price": str(amount),
        "currency": currency,
        "duration_days": duration_days,
        "quality": quality,
    }
    price_form_size(form)  # rejects floats, non-JSON values and an oversized form now
    return form


def price_form_size(price_form: dict[str, Any]) -> int:
    """The form's canonical JSON length; ParameterError past :data:`MAX_PRICE_FORM` bytes."""
    size = len(canonical_json(price_form))
    if size > MAX_PRICE_FORM:
        raise ParameterError(
            f"price form is {size} bytes of canonical JSON, more than {MAX_PRICE_FORM}"
        )
    return size


def pad_length(manifest_size: int, price_form_size: int) -> int:
    """Zero bytes after a manifest of ``manifest_size`` bytes holding a price form of
    ``price_form_size`` bytes: the head (16 + M + P) becomes the smallest multiple of
    PAD_BLOCK that would also hold a price form of MAX_PRICE_FORM bytes. M - F depends only
    on the file list, so bids differing only in their price forms have the same size."""
    if not 0 < price_form_size <= MAX_PRICE_FORM or manifest_size < price_form_size:
        raise ParameterError("price form size out of range")
    budget = _HEAD + manifest_size - price_form_size + MAX_PRICE_FORM
    return -(-budget // PAD_BLOCK) * PAD_BLOCK - _HEAD - manifest_size


class BundleEntry(NamedTuple):
    name: str
    size: int
    sha256: str


def _check_name(name: object) -> str:
    """A plain file name, safe to create in a directory on any OS."""
    if not isinstance(name, str) or not name or name in {".", ".."}:
        raise ParameterError(f"bad bundle file name {name!r}")
    if len(name.encode("utf-8")) > 255 or name != name.strip() or name.startswith("."):
        raise ParameterError(f"bad bundle file name {name!r}")
    if any(c in _FORBIDDEN or unicodedata.category(c).startswith("C") for c in name):
        raise ParameterError(f"bad bundle file name {name!r}")
    return name


def _open_source(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    if not source.seekable():
        raise ParameterError("bundle file streams must be seekable (they are read twice)")
    return source, False


def _hash_stream(fh: BinaryIO) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := fh.read(_COPY):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def pack_bundle(
    price_form: dict[str, Any],
    files: Sequence[tuple[str, Source]],
    dst: BinaryIO,
) -> list[BundleEntry]:
    """Write the bundle to ``dst`` with constant memory; return the manifest entries."""
    if not isinstance(price_form, dict):
        raise ParameterError("price form must be a dict")
    try:
        form_size = price_form_size(price_form)
    except EncodingError as exc:
        raise ParameterError(f"price form: {exc}") from exc
    if len(files) > MAX_FILES:
        raise ParameterError(f"at most {MAX_FILES} files")
    names: set[str] = set()
    entries: list[BundleEntry] = []
    starts: list[int] = []
    for name, source in files:
        _check_name(name)
        if name.casefold() in names:
            raise ParameterError(f"duplicate bundle file name {name!r}")
        names.add(name.casefold())
        fh, owned = _open_source(source)
        try:
            start = fh.tell()
            size, digest = _hash_stream(fh)
        finally:
            if owned:
                fh.close()
        starts.append(start)
        entries.append(BundleEntry(name, size, digest))
    try:
        manifest = canonical_json(
            {
                "type": BUNDLE_TYPE,
                "v": 1,
                "price_form": price_form,
                "files": [e._asdict() for e in entries],
            }
        )
    except EncodingError as exc:
        raise ParameterError(f"bundle manifest: {exc}") from exc
    if len(manifest) > MAX_MANIFEST:
        raise ParameterError("bundle manifest larger than 1 MiB")
    pad = pad_length(len(manifest), form_size)
    dst.write(BUNDLE_MAGIC + struct.pack(">II", len(manifest), pad) + manifest + bytes(pad))
    for (_, source), entry, start in zip(files, entries, starts, strict=True):
        fh, owned = _open_source(source)
        try:
            fh.seek(start)
            digest = hashlib.sha256()
            left = entry.size
            while left:
                chunk = fh.read(min(_COPY, left))
                if not chunk:
                    raise BundleError(f"file {entry.name!r} shrank while packing")
                digest.update(chunk)
                dst.write(chunk)
                left -= len(chunk)
            if digest.hexdigest() != entry.sha256:
                raise BundleError(f"file {entry.name!r} changed while packing")
        finally:
            if owned:
                fh.close()
    return entries


def _read_manifest(src: BinaryIO) -> dict[str, Any]:
    magic = src.read(len(BUNDLE_MAGIC))
    if magic not in (BUNDLE_MAGIC, BUNDLE_MAGIC_V1):
        raise BundleError("not a bidhall bundle (bad magic)")
    padded = magic == BUNDLE_MAGIC
    lengths = src.read(8 if padded else 4)
    if len(lengths) != (8 if padded else 4):
        raise BundleError("bundle truncated in its manifest")
    length, pad = struct.unpack(">II", lengths) if padded else (int.from_bytes(lengths, "big"), 0)
    if length > MAX_MANIFEST:
        raise BundleError("bundle manifest larger than 1 MiB")
    if padded:
        _check_pad_length(length, pad)
    raw = src.read(length)
    if len(raw) != length:
        raise BundleError("bundle truncated in its manifest")
    zeros = src.read(pad)
    if len(zeros) != pad:
        raise BundleError("bundle truncated in its padding")
    if any(zeros):
        raise BundleError("bundle padding is malformed: a padding byte is not zero")
    try:
        manifest = json.loads(raw.decode("utf-8"), parse_float=_no_float)
    except (UnicodeDecodeError, json.JSONDecodeError, BundleError) as exc:
        raise BundleError(f"bundle manifest is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("type") != BUNDLE_TYPE:
        raise BundleError("bundle manifest has the wrong type")
    if manifest.get("v") != 1:
        raise BundleError(f"unsupported bundle version {manifest.get('v')!r}")
    if not isinstance(manifest.get("price_form"), dict):
        raise BundleError("bundle manifest lacks a price form")
    files = manifest.get("files")
    if not isinstance(files, list):
        raise BundleError("bundle manifest lacks a file list")
    seen: set[str] = set()
    for item in files:
        ok = (
            isinstance(item, dict)
            and set(item) == {"name", "size", "sha256"}
            and type(item["size"]) is int
            and item["size"] >= 0
            and is_hex_digest(item["sha256"])
        )
        if not ok:
            raise BundleError("bundle manifest has a malformed file entry")
        try:
            _check_name(item["name"])
        except ParameterError as exc:
            raise BundleError(str(exc)) from exc
        if item["name"].casefold() in seen:
            raise BundleError(f"bundle lists {item['name']!r} twice")
        seen.add(item["name"].casefold())
    return manifest


def _check_pad_length(length: int, pad: int) -> None:
    """What a reader can check without re-encoding the form: the head fills whole blocks and
    the padding is no longer than any writer makes it (pad_length is below the form budget
    plus one block), so a damaged length field cannot make us read megabytes of zeros."""
    if (_HEAD + length + pad) % PAD_BLOCK:
        raise BundleError(
            f"bundle padding is malformed: a head of {_HEAD + length + pad} bytes "
            f"is not a multiple of {PAD_BLOCK}"
        )
    if pad >= MAX_PRICE_FORM + PAD_BLOCK:
        raise BundleError(f"bundle padding is malformed: {pad} bytes of padding is too long")


def _no_float(text: str) -> Any:
    raise BundleError(f"float {text} in bundle manifest")


def read_price_form(src: BinaryIO) -> dict[str, Any]:
    """Read only the manifest and return the price form."""
    return dict(_read_manifest(src)["price_form"])


def read_manifest(src: BinaryIO) -> tuple[dict[str, Any], list[BundleEntry]]:
    """Read only the manifest: the price form and the listed files."""
    manifest = _read_manifest(src)
    return dict(manifest["price_form"]), [BundleEntry(**f) for f in manifest["files"]]


def unpack_bundle(
    src: BinaryIO, dst_dir: str | os.PathLike[str] | None = None
) -> tuple[dict[str, Any], Iterator[BundleEntry]]:
    """Return the price form and a lazy iterator over the files.

    Iterating streams each body, checks its size and SHA-256 against the manifest
    (raising :class:`BundleError` on mismatch, truncation or trailing bytes) and, if
    ``dst_dir`` is given, writes it there (as a temp file renamed once verified).
    The bundle is fully verified only when the iterator is exhausted.
    """
    price_form, entries = read_manifest(src)
    out_dir = None if dst_dir is None else Path(dst_dir)

    def walk() -> Iterator[BundleEntry]:
        for entry in entries:
            tmp = None if out_dir is None else out_dir / f".{entry.name}.part"
            out = None if tmp is None else open(tmp, "wb")  # noqa: SIM115
            try:
                digest = hashlib.sha256()
                left = entry.size
                while left:
                    chunk = src.read(min(_COPY, left))
                    if not chunk:
                        raise BundleError(f"bundle truncated in file {entry.name!r}")
                    digest.update(chunk)
                    if out is not None:
                        out.write(chunk)
                    left -= len(chunk)
                if digest.hexdigest() != entry.sha256:
                    raise BundleError(f"file {entry.name!r} does not match its manifest digest")
                if out is not None and tmp is not None and out_dir is not None:
                    out.close()
                    os.replace(tmp, out_dir / entry.name)
            except BaseException:
                if out is not None:
                    out.close()
                if tmp is not None:
                    tmp.unlink(missing_ok=True)
                raise
            yield entry
        if src.read(1):
            raise BundleError("trailing data after the last bundle file")

    return price_form, walk()
