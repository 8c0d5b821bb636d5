import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.errors import EncodingError, KeyFileError
from crypto.keys import (
    PublicIdentity,
    generate_identity,
    key_id,
    load_identity,
    save_identity,
    x25519_generate,
    x25519_public,
)


def test_generate_and_public_round_trip() -> None:
    ident = generate_identity()
    assert len(ident.sign_priv) == len(ident.sign_pub) == 32
    assert len(ident.enc_priv) == len(ident.enc_pub) == 32
    pub = ident.public()
    assert PublicIdentity.from_dict(json.loads(json.dumps(pub.to_dict()))) == pub
    assert ident.sign_priv.hex() not in repr(ident)
    assert key_id(ident.sign_pub).startswith("ed25519:")


def test_x25519_helpers() -> None:
    priv, pub = x25519_generate()
    assert x25519_public(priv) == pub
    assert x25519_generate()[0] != priv


def test_public_from_dict_rejects_bad_keys() -> None:
    with pytest.raises(EncodingError):
        PublicIdentity.from_dict({"sign_pub": "AA", "enc_pub": "AA"})
    with pytest.raises(EncodingError, match="lacks enc_pub"):
        PublicIdentity.from_dict({"sign_pub": "A" * 43})


def test_save_load(tmp_path: Path) -> None:
    ident = generate_identity()
    path = tmp_path / "me.key"
    save_identity(ident, path, "correct horse 电池")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["kdf"] == {"name": "scrypt", "n": 2**15, "r": 8, "p": 1}
    assert ident.sign_priv.hex() not in path.read_text()
    loaded = load_identity(path, "correct horse 电池")
    assert loaded == ident


def test_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "me.key"
    save_identity(generate_identity(), path, "right")
    with pytest.raises(KeyFileError, match="wrong passphrase or damaged key file"):
        load_identity(path, "wrong")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(
            ciphertext=d["ciphertext"][:-2]
            + ("A" if d["ciphertext"][-2] != "A" else "B")
            + d["ciphertext"][-1]
        ),
        lambda d: d.update(public=generate_identity().public().to_dict()),
        lambda d: d["kdf"].update(n=2**14),
        lambda d: d.update(nonce="A" * 16),
        lambda d: d.pop("kdf_salt"),
        lambda d: d.update(ciphertext="@@"),
    ],
)
def test_tampered_key_file(tmp_path: Path, mutate: Callable[[dict], None]) -> None:
    path = tmp_path / "me.key"
    save_identity(generate_identity(), path, "pw")
    doc = json.loads(path.read_text())
    mutate(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="wrong passphrase or damaged key file"):
        load_identity(path, "pw")


def test_hostile_kdf_params_refused(tmp_path: Path) -> None:
    path = tmp_path / "me.key"
    save_identity(generate_identity(), path, "pw")
    doc = json.loads(path.read_text())
    doc["kdf"]["n"] = 2**30
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="unsupported scrypt"):
        load_identity(path, "pw")


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "me.key"
    path.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(KeyFileError):
        load_identity(path, "pw")
