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
    identity_from_key_file,
    identity_to_key_file,
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
    assert doc["version"] == 2
    assert doc["kdf"] == {"name": "PBKDF2-SHA256", "iterations": 600_000}
    assert doc["cipher"] == "AES-256-GCM"
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
        lambda d: d["kdf"].update(iterations=700_000),
        lambda d: d.update(version=1),
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


@pytest.mark.parametrize(
    ("kdf", "why"),
    [
        ({"name": "PBKDF2-SHA256", "iterations": 10**9}, "unsupported PBKDF2 iterations"),
        ({"name": "PBKDF2-SHA256", "iterations": 1000}, "unsupported PBKDF2 iterations"),
        ({"name": "PBKDF2-SHA256", "iterations": True}, "unsupported PBKDF2 iterations"),
        ({"name": "PBKDF2-SHA1", "iterations": 600_000}, "unsupported key file algorithms"),
        ({"name": "PBKDF2-SHA256", "iterations": 600_000, "x": 1}, "unsupported key file alg"),
    ],
)
def test_hostile_kdf_params_refused(tmp_path: Path, kdf: dict, why: str) -> None:
    path = tmp_path / "me.key"
    save_identity(generate_identity(), path, "pw")
    doc = json.loads(path.read_text())
    doc["kdf"] = kdf
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match=why):
        load_identity(path, "pw")


# Written by the CLI before issue 13 (scrypt N=2^15, r=8, p=1): such files must keep opening.
V1_FILE = Path(__file__).parent / "vectors" / "identity-v1-scrypt.json"
V1_PASSPHRASE = "old cli passphrase 旧口令"
V1_PUBLIC = {
    "sign_pub": "Hq2DqDxKq0M-8jv6KnaA1Q1i_QnjrSjjropa-h-eEvY",
    "enc_pub": "SN4EfpwPO7HZW0gVXe01KjJoPlMvrJUNHywU_8_LmiA",
}


def test_old_scrypt_key_file_still_opens() -> None:
    ident = load_identity(V1_FILE, V1_PASSPHRASE)
    assert ident.public().to_dict() == V1_PUBLIC
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_identity(V1_FILE, V1_PASSPHRASE + "x")


def test_old_scrypt_hostile_params_refused(tmp_path: Path) -> None:
    doc = json.loads(V1_FILE.read_text())
    doc["kdf"]["n"] = 2**30
    with pytest.raises(KeyFileError, match="unsupported scrypt"):
        identity_from_key_file(doc, V1_PASSPHRASE)


def test_old_file_rewritten_in_the_new_format_keeps_the_keys(tmp_path: Path) -> None:
    old = load_identity(V1_FILE, V1_PASSPHRASE)
    save_identity(old, tmp_path / "new.key", "a new passphrase")
    assert json.loads((tmp_path / "new.key").read_text())["version"] == 2
    assert load_identity(tmp_path / "new.key", "a new passphrase") == old


def test_passphrase_is_unicode_normalised() -> None:
    # "é" typed as one code point (NFC) or as e + combining accent (NFD): the same passphrase.
    ident = generate_identity()
    doc = identity_to_key_file(ident, "caf\u00e9 口令")
    assert identity_from_key_file(doc, "cafe\u0301 口令") == ident


def test_unknown_version_refused() -> None:
    doc = identity_to_key_file(generate_identity(), "pw")
    for version in (3, "2", True, None):
        with pytest.raises(KeyFileError, match="unsupported key file version"):
            identity_from_key_file({**doc, "version": version}, "pw")


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "me.key"
    path.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(KeyFileError):
        load_identity(path, "pw")
