from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.canonical import canonical_json, sha256_hex
from crypto.encoding import b64u_decode, b64u_encode, hex_digest_decode
from crypto.errors import CryptoError, EncodingError


def test_sorted_compact_utf8() -> None:
    out = canonical_json({"b": 1, "a": [True, None, "标段"], "c": {"z": 0, "y": "x"}})
    assert out == '{"a":[true,null,"标段"],"b":1,"c":{"y":"x","z":0}}'.encode()


def test_decimal_rendered_as_string() -> None:
    assert canonical_json({"price": Decimal("1234567.80")}) == b'{"price":"1234567.80"}'


@pytest.mark.parametrize("bad", [1.5, {"x": 0.1}, [Decimal("NaN")], {1: "int key"}, object()])
def test_rejects_floats_and_non_json(bad: object) -> None:
    with pytest.raises(EncodingError):
        canonical_json(bad)


def test_float_error_names_path() -> None:
    with pytest.raises(EncodingError, match=r"\$\.form\.price"):
        canonical_json({"form": {"price": 1.0}})


def test_lone_surrogate_rejected() -> None:
    with pytest.raises(CryptoError):
        canonical_json({"x": "\ud800"})


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@given(st.binary(max_size=80))
def test_b64u_round_trip(data: bytes) -> None:
    text = b64u_encode(data)
    assert "=" not in text
    assert b64u_decode(text) == data


@pytest.mark.parametrize("bad", ["AA==", "A", "a+b/", "AB"])
def test_b64u_strict(bad: str) -> None:
    # "AB" has stray low bits: the canonical spelling of b"\x00" is "AA".
    with pytest.raises(EncodingError):
        b64u_decode(bad)


def test_b64u_length_and_hex() -> None:
    with pytest.raises(EncodingError, match="must be 32 bytes"):
        b64u_decode(b64u_encode(b"x" * 31), length=32)
    with pytest.raises(EncodingError):
        hex_digest_decode("AB" * 32)
    assert hex_digest_decode("ab" * 32) == b"\xab" * 32
