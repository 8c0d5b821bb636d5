from __future__ import annotations

import hashlib
import io
import os
import struct
from decimal import Decimal
from pathlib import Path

import pytest

from crypto import envelope as env
from crypto.bundle import (
    MAX_PRICE_FORM,
    PAD_BLOCK,
    BundleEntry,
    make_price_form,
    pack_bundle,
    pad_length,
    price_form_size,
    read_manifest,
    read_price_form,
    unpack_bundle,
)
from crypto.canonical import canonical_json
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


# --- padding: the sealed size says nothing about the price ------------------------------

PRICES = ["0.01", "99.00", "937251.46", "12345678.90", "9999999999999.99"]


def _form_of_size(size: int, **extra: object) -> dict[str, object]:
    """A valid price form whose canonical JSON is exactly ``size`` bytes."""
    form = make_price_form(price="0.01", duration_days=1, quality="合格", note="", **extra)
    form["note"] = "x" * (size - price_form_size(form))
    assert price_form_size(form) == size
    return form


def _forms() -> list[dict[str, object]]:
    forms: list[dict[str, object]] = [
        make_price_form(price=p, duration_days=365, quality="合格") for p in PRICES
    ]
    forms.append(
        make_price_form(
            price="12345678.90",
            duration_days=36500,
            quality="工程质量达到国家验收规范合格标准，争创省级优质工程" * 3,
            currency="USD",
            warranty_months=24,
            project_manager="张三",
        )
    )
    forms.append(_form_of_size(MAX_PRICE_FORM))  # the largest form allowed
    return forms


@pytest.mark.parametrize("n_files", [0, 1, 3])
def test_bundle_and_sealed_sizes_do_not_depend_on_the_price_form(
    n_files: int, opening_keys: tuple[bytes, bytes], bidder_keys: tuple[bytes, bytes]
) -> None:
    files = [(f"文件{i}.pdf", b"%PDF" * (i * 1000 + 7)) for i in range(n_files)]
    blobs, sealed = [], []
    for form in _forms():
        out = io.BytesIO()
        pack_bundle(form, [(n, io.BytesIO(b)) for n, b in files], out)
        blobs.append(out.getvalue())
        sealed.append(
            env.seal_bytes(
                out.getvalue(),
                lot_id="450100-2025-0001-1",
                bidder_id="91450100MA0000002X",
                version=1,
                recipients=[("opening", opening_keys[1]), ("bidder", bidder_keys[1])],
            )
        )
    assert len({len(b) for b in blobs}) == 1, [len(b) for b in blobs]
    assert len({len(s) for s in sealed}) == 1, [len(s) for s in sealed]
    head = len(blobs[0]) - sum(len(b) for _, b in files)
    assert head % PAD_BLOCK == 0 and blobs[0].startswith(b"BHBNDL\x00\x02")
    # Same size, and still the right content: each opens to its own form.
    for form, blob in zip(_forms(), sealed, strict=True):
        plain = env.open_bytes(blob, recipient_priv=opening_keys[0])
        got, entries = unpack_bundle(io.BytesIO(plain))
        assert got == form
        assert [(e.name, e.size) for e in entries] == [(n, len(b)) for n, b in files]


def test_pad_length_fills_whole_blocks_at_every_alignment() -> None:
    """The manifest minus the form can end anywhere in a block; at each offset the smallest,
    a middling and the largest form give the same head, a multiple of the block."""
    for rest in range(3 * PAD_BLOCK):  # manifest bytes other than the form
        heads = set()
        for form_size in (2, 61, MAX_PRICE_FORM - 1, MAX_PRICE_FORM):
            pad = pad_length(rest + form_size, form_size)
            assert 0 <= pad < MAX_PRICE_FORM + PAD_BLOCK
            heads.add(16 + rest + form_size + pad)
        assert len(heads) == 1
        (head,) = heads
        assert head % PAD_BLOCK == 0 and head - PAD_BLOCK < 16 + rest + MAX_PRICE_FORM <= head


def test_a_price_form_over_the_limit_is_refused_before_sealing() -> None:
    with pytest.raises(ParameterError, match="more than 4096"):
        make_price_form(price="1.00", duration_days=1, quality="合" * 1400)
    with pytest.raises(ParameterError, match="more than 4096"):
        pack_bundle(_form_of_size(MAX_PRICE_FORM) | {"note2": ""}, [], io.BytesIO())


def _hand_built(pad: bytes, *, declared_pad: int | None = None, tail: bytes = b"") -> bytes:
    manifest = canonical_json(
        {"type": "bidhall-bundle", "v": 1, "price_form": PRICE_FORM, "files": []}
    )
    declared = len(pad) if declared_pad is None else declared_pad
    return b"BHBNDL\x00\x02" + struct.pack(">II", len(manifest), declared) + manifest + pad + tail


def _good_pad() -> int:
    manifest = canonical_json(
        {"type": "bidhall-bundle", "v": 1, "price_form": PRICE_FORM, "files": []}
    )
    return pad_length(len(manifest), price_form_size(PRICE_FORM))


def test_reader_refuses_malformed_padding() -> None:
    """The reader's own checks, on bundles built by hand (not through the envelope)."""
    pad = _good_pad()
    good = _hand_built(bytes(pad))
    assert good == _pack([])  # the hand-built reference is what pack_bundle writes
    assert read_price_form(io.BytesIO(good))["price"] == "12345678.90"
    for at in (0, pad // 2, pad - 1):
        bad = bytearray(bytes(pad))
        bad[at] = 0x01
        with pytest.raises(BundleError, match="padding byte is not zero"):
            read_price_form(io.BytesIO(_hand_built(bytes(bad))))
    cases = [
        (_hand_built(bytes(pad - 1)), "not a multiple of 4096"),  # one zero short
        (_hand_built(bytes(pad + 1)), "not a multiple of 4096"),
        (_hand_built(bytes(pad + PAD_BLOCK)), "too long"),  # aligned, but past any writer's
        (_hand_built(bytes(pad), declared_pad=pad + 2 * PAD_BLOCK), "too long"),
        (_hand_built(bytes(pad - 10), declared_pad=pad), "truncated in its padding"),
        (_hand_built(b"", declared_pad=0), "not a multiple of 4096"),  # format 2, no padding
    ]
    for blob, message in cases:
        for reader in (read_price_form, read_manifest):
            with pytest.raises(BundleError, match=message):
                reader(io.BytesIO(blob))
    # Padding that swallows the first file's bytes (or leaves some behind) cannot pass.
    with pytest.raises(BundleError, match="trailing data"):
        _, entries = unpack_bundle(io.BytesIO(_hand_built(bytes(pad), tail=b"\x00")))
        list(entries)


def test_a_tampered_padding_byte_inside_the_envelope_is_caught(
    opening_keys: tuple[bytes, bytes],
) -> None:
    blob = _pack([("a.bin", io.BytesIO(b"body"))])
    pad_at = blob.index(b"}\x00") + 2  # a padding byte, after the manifest's closing brace
    assert blob[pad_at] == 0
    sealed = env.seal_bytes(
        blob, lot_id="L", bidder_id="B", version=1, recipients=[("opening", opening_keys[1])]
    )
    header = env.read_header(io.BytesIO(sealed))
    # AES-GCM is a stream cipher: plaintext byte i of chunk 0 is ciphertext byte i.
    flipped = bytearray(sealed)
    flipped[len(header.raw) + pad_at] ^= 0x01
    with pytest.raises(env.ChunkAuthError):
        env.open_bytes(bytes(flipped), recipient_priv=opening_keys[0])
    # A bidder who seals a non-zero padding on purpose gets a bid its opening refuses.
    forged = bytearray(blob)
    forged[pad_at] = 0x01
    plain = env.open_bytes(
        env.seal_bytes(
            bytes(forged),
            lot_id="L",
            bidder_id="B",
            version=1,
            recipients=[("opening", opening_keys[1])],
        ),
        recipient_priv=opening_keys[0],
    )
    with pytest.raises(BundleError, match="padding byte is not zero"):
        read_price_form(io.BytesIO(plain))


def test_format_1_bundles_are_still_read_but_never_written(tmp_path: Path) -> None:
    """Bids sealed before padding existed sit in databases; their opening must still work."""
    body = b"legacy technical proposal"
    manifest = canonical_json(
        {
            "type": "bidhall-bundle",
            "v": 1,
            "price_form": PRICE_FORM,
            "files": [
                {"name": "old.txt", "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            ],
        }
    )
    legacy = b"BHBNDL\x00\x01" + struct.pack(">I", len(manifest)) + manifest + body
    assert read_price_form(io.BytesIO(legacy))["price"] == "12345678.90"
    form, entries = unpack_bundle(io.BytesIO(legacy), tmp_path)
    assert form["warranty_months"] == 24
    assert [e.name for e in entries] == ["old.txt"]
    assert (tmp_path / "old.txt").read_bytes() == body
    with pytest.raises(BundleError, match="does not match"):
        _, entries = unpack_bundle(io.BytesIO(legacy.replace(b"legacy", b"LEGACY")))
        list(entries)
    with pytest.raises(BundleError, match="bad magic"):
        read_price_form(io.BytesIO(b"BHBNDL\x00\x03" + legacy[8:]))
    assert _pack([]).startswith(b"BHBNDL\x00\x02")
