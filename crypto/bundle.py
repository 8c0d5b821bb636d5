"""The sealed content: a tiny streaming container holding the price form and the bid files.

Layout (all of it goes inside the envelope, so prices are as secret as documents)::

    magic      8 bytes  b"BHBNDL\\x00\\x01"
    length     4 bytes  big-endian length M of the manifest
    manifest   M bytes  canonical JSON (see below), at most 1 MiB
    bodies              each file's bytes, in manifest order, back to back; nothing after

    manifest = {"type": "bidhall-bundle", "v": 1,
                "price_form": {...},                       # 开标一览表, no floats
                "files": [{"name": str, "size": int, "sha256": hex}, ...]}

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

BUNDLE_MAGIC = b"BHBNDL\x00\x01"
BUNDLE_TYPE = "bidhall-bundle"
MAX_MANIFEST = 1 << 20
MAX_FILES = 10_000
_COPY = 1 << 20
_FORBIDDEN = set('/\\:*?"<>|')

Source = BinaryIO | str | os.PathLike[str]


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
    canonical_json(form)  # rejects floats and non-JSON values in the extras now
    return form


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
        raise ParameterError(f"price form: {exc}") from exc
    if len(manifest) > MAX_MANIFEST:
        raise ParameterError("bundle manifest larger than 1 MiB")
    dst.write(BUNDLE_MAGIC + struct.pack(">I", len(manifest)) + manifest)
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
    head = src.read(len(BUNDLE_MAGIC) + 4)
    if len(head) < len(BUNDLE_MAGIC) or head[: len(BUNDLE_MAGIC)] != BUNDLE_MAGIC:
        raise BundleError("not a bidhall bundle (bad magic)")
    if len(head) < len(BUNDLE_MAGIC) + 4:
        raise BundleError("bundle truncated in its manifest")
    (length,) = struct.unpack(">I", head[len(BUNDLE_MAGIC) :])
    if length > MAX_MANIFEST:
        raise BundleError("bundle manifest larger than 1 MiB")
    raw = src.read(length)
    if len(raw) != length:
        raise BundleError("bundle truncated in its manifest")
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
