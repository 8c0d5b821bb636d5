from __future__ import annotations

import hashlib
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from crypto import envelope as env
from crypto.bundle import (
    BundleEntry,
    make_price_form,
    pack_bundle,
    read_manifest,
    read_price_form,
    unpack_bundle,
)
from crypto.errors import BundleError, EncodingError, ParameterError

PRICE_FORM = {
    "price": Decimal("12345678.90"),
    "currency": "CNY",
    "duration_days": 365,
    "quality": "合格",
    "warranty_months": 24,
}


def _pack(files: list[tuple[str, object]]) -> bytes:
    out = io.BytesIO()
    pack_bundle(PRICE_FORM, files, out)  # type: ignore[arg-type]
    return out.getvalue()


def test_round_trip_paths_and_streams(tmp_path: Path) -> None:
    tech = tmp_path / "tech.pdf"
    tech.write_bytes(os.urandom(3 << 20))
    blob = _pack(
        [("技术标.pdf", tech), ("商务标.pdf", io.BytesIO(b"business")), ("empty.txt", io.BytesIO())]
    )
    form = read_price_form(io.BytesIO(blob))
    assert form["price"] == "12345678.90"  # decimal string, never a float
    form2, entries = unpack_bundle(
        io.BytesIO(blob), tmp_path / "out" if (tmp_path / "out").mkdir() is None else None
    )
    assert form2 == form
    listed = list(entries)
    assert listed == [
        BundleEntry("技术标.pdf", 3 << 20, hashlib.sha256(tech.read_bytes()).hexdigest()),
        BundleEntry("商务标.pdf", 8, hashlib.sha256(b"business").hexdigest()),
        BundleEntry("empty.txt", 0, hashlib.sha256(b"").hexdigest()),
    ]
    assert (tmp_path / "out" / "技术标.pdf").read_bytes() == tech.read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "empty.txt",
        "商务标.pdf",
        "技术标.pdf",
    ]
    name, size, _digest = listed[1]  # entries unpack as (name, size, sha256)
    assert (name, size) == ("商务标.pdf", 8)


def test_price_form_is_read_without_bodies() -> None:
    blob = _pack([("a.bin", io.BytesIO(b"x" * 1000))])
    manifest_end = blob.index(b"x" * 1000)
    assert read_price_form(io.BytesIO(blob[:manifest_end]))["duration_days"] == 365
    _, entries = read_manifest(io.BytesIO(blob[:manifest_end]))
    assert entries[0].size == 1000


def test_sealed_bundle_round_trip(opening_keys: tuple[bytes, bytes]) -> None:
    blob = _pack([("a.bin", io.BytesIO(os.urandom(5000)))])
    sealed = env.seal_bytes(
        blob, lot_id="L", bidder_id="B", version=1, recipients=[("opening", opening_keys[1])]
    )
    opened = env.open_bytes(sealed, recipient_priv=opening_keys[0])
    assert read_price_form(io.BytesIO(opened))["price"] == "12345678.90"


def test_detects_damage() -> None:
    blob = _pack([("a.bin", io.BytesIO(b"hello world")), ("b.bin", io.BytesIO(b"second"))])
    cases = [
        (blob.replace(b"hello", b"jello"), "does not match its manifest digest"),
        (blob[:-2], "bundle truncated in file 'b.bin'"),
        (blob + b"!", "trailing data"),
        (b"NOTABNDL" + blob[8:], "bad magic"),
        (blob[:20], "truncated in its manifest"),
    ]
    for bad, message in cases:
        with pytest.raises(BundleError, match=message):
            _, entries = unpack_bundle(io.BytesIO(bad))
            list(entries)


def test_failed_file_leaves_no_output(tmp_path: Path) -> None:
    blob = _pack([("a.bin", io.BytesIO(b"hello world"))])
    _, entries = unpack_bundle(io.BytesIO(blob.replace(b"hello", b"jello")), tmp_path)
    with pytest.raises(BundleError):
        list(entries)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["", "..", "a/b", "..\\x", ".hidden", "a\x00b", "x" * 300, " lead"]
)
def test_unsafe_names_refused(name: str) -> None:
    with pytest.raises(ParameterError):
        _pack([(name, io.BytesIO(b""))])


def test_duplicates_floats_and_unseekable() -> None:
    with pytest.raises(ParameterError, match="duplicate"):
        _pack([("A.pdf", io.BytesIO()), ("a.pdf", io.BytesIO())])
    with pytest.raises(ParameterError, match="float"):
        pack_bundle({"price": 1.5}, [], io.BytesIO())

    class Pipe(io.RawIOBase):
        def seekable(self) -> bool:
            return False

    with pytest.raises(ParameterError, match="seekable"):
        _pack([("a", Pipe())])


def test_make_price_form() -> None:
    form = make_price_form(
        price=Decimal("9876543.21"), duration_days=180, quality="优良", lot_note="x"
    )
    assert form == {
        "price": "9876543.21",
        "currency": "CNY",
        "duration_days": 180,
        "quality": "优良",
        "lot_note": "x",
    }
    assert make_price_form(price="100.00", duration_days=1, quality="合格")["price"] == "100.00"
    for bad in (1.5, "abc", "-1", "NaN"):
        with pytest.raises(ParameterError):
            make_price_form(price=bad, duration_days=1, quality="合格")  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        make_price_form(price="1", duration_days=0, quality="合格")
    with pytest.raises(EncodingError):
        make_price_form(price="1", duration_days=1, quality="合格", rate=0.5)
