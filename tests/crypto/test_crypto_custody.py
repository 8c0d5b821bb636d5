"""Opening-key custody: k of n custodians, and never a wrong key."""

from __future__ import annotations

import dataclasses
import json
from itertools import combinations

import pytest

from crypto.custody import (
    CustodyBundle,
    ReleasedShare,
    SealedShare,
    create_custody,
    open_share,
    public_from_private,
    recover_opening_key,
)
from crypto.errors import CustodyError, ParameterError
from crypto.keys import x25519_generate

KEY_CHECK = "key check failed: wrong, tampered or too few shares"


def wrong_bytes(bundle: CustodyBundle) -> str:
    """What a share with other bytes is refused with: its digest, or (a bundle made before
    share digests) the key check."""
    return "does not match its digest" if bundle.share_digests else KEY_CHECK


@pytest.fixture(scope="module")
def custodians() -> list[tuple[bytes, bytes]]:
    return [x25519_generate() for _ in range(5)]


@pytest.fixture(scope="module", params=["digests", "legacy"])
def lot(
    custodians: list[tuple[bytes, bytes]], request: pytest.FixtureRequest
) -> tuple[bytes, CustodyBundle, list[ReleasedShare]]:
    pub, bundle = create_custody(3, [p for _, p in custodians])
    if request.param == "legacy":  # as bundles were written before share digests
        legacy = bundle.to_dict()
        del legacy["share_digests"]
        bundle = CustodyBundle.from_dict(legacy)
        assert bundle.share_digests == ()
    released = [open_share(bundle.shares[i], custodians[i][0]) for i in range(5)]
    return pub, bundle, released


def test_every_k_subset_recovers(lot: tuple[bytes, CustodyBundle, list[ReleasedShare]]) -> None:
    pub, bundle, released = lot
    for k in (3, 4, 5):
        for subset in combinations(released, k):
            assert public_from_private(recover_opening_key(bundle, list(subset))) == pub


def test_serialisation_round_trip(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]], custodians: list[tuple[bytes, bytes]]
) -> None:
    pub, bundle, released = lot
    again = CustodyBundle.from_dict(json.loads(json.dumps(bundle.to_dict())))
    assert again == bundle
    shares = [ReleasedShare.from_dict(json.loads(json.dumps(s.to_dict()))) for s in released]
    assert shares == released
    # A custodian receives only its own sealed share, as JSON.
    mine = json.loads(json.dumps(bundle.share_for(custodians[2][1]).to_dict()))
    assert open_share(mine, custodians[2][0]) == released[2]
    assert public_from_private(recover_opening_key(bundle.to_dict(), shares[:3])) == pub


def test_bundle_holds_no_private_material(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]],
) -> None:
    _, bundle, released = lot
    text = json.dumps(bundle.to_dict())
    for share in released:
        assert share.to_dict()["share"] not in text


def test_k_minus_one_shares(lot: tuple[bytes, CustodyBundle, list[ReleasedShare]]) -> None:
    _, bundle, released = lot
    for subset in combinations(released, 2):
        with pytest.raises(CustodyError, match=KEY_CHECK):
            recover_opening_key(bundle, list(subset))


def test_k_minus_one_shares_against_a_lowered_threshold(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]],
) -> None:
    # A server that edits the stored threshold still gets no key out of two shares.
    _, bundle, released = lot
    lowered = dataclasses.replace(bundle, threshold=2)
    with pytest.raises(CustodyError, match=KEY_CHECK):
        recover_opening_key(lowered, released[:2])


def test_one_tampered_share(lot: tuple[bytes, CustodyBundle, list[ReleasedShare]]) -> None:
    _, bundle, released = lot
    for victim in range(3):
        for byte in (0, 7, 15):
            shares = list(released[:3])
            raw = bytearray(shares[victim].share)
            raw[byte] ^= 0x40
            shares[victim] = dataclasses.replace(shares[victim], share=bytes(raw))
            with pytest.raises(CustodyError, match=wrong_bytes(bundle)):
                recover_opening_key(bundle, shares)


def test_wrong_index_on_a_share(lot: tuple[bytes, CustodyBundle, list[ReleasedShare]]) -> None:
    _, bundle, released = lot
    shares = [released[0], released[1], dataclasses.replace(released[2], index=5)]
    with pytest.raises(CustodyError, match=wrong_bytes(bundle)):
        recover_opening_key(bundle, shares)


def test_bad_extra_share_is_not_ignored(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]],
) -> None:
    _, bundle, released = lot
    bad = dataclasses.replace(released[4], share=bytes(16))
    with pytest.raises(CustodyError, match=wrong_bytes(bundle)):
        recover_opening_key(bundle, [*released[:3], bad])


def test_shares_mixed_from_two_bundles(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]], custodians: list[tuple[bytes, bytes]]
) -> None:
    _, bundle, released = lot
    _, other = create_custody(3, [p for _, p in custodians])
    foreign = open_share(other.shares[2], custodians[2][0])
    with pytest.raises(CustodyError, match="belongs to another custody bundle"):
        recover_opening_key(bundle, [released[0], released[1], foreign])
    # Relabelled to pass the bundle-id check, its digest (or the key check) still catches it.
    disguised = dataclasses.replace(foreign, custody_id=bundle.custody_id)
    with pytest.raises(CustodyError, match=wrong_bytes(bundle)):
        recover_opening_key(bundle, [released[0], released[1], disguised])


def test_duplicates(lot: tuple[bytes, CustodyBundle, list[ReleasedShare]]) -> None:
    pub, bundle, released = lot
    with pytest.raises(CustodyError, match=KEY_CHECK):
        recover_opening_key(bundle, [released[0], released[0], released[1]])
    conflicting = dataclasses.replace(released[0], share=bytes(16))
    with pytest.raises(CustodyError, match="two different shares with index 1"):
        recover_opening_key(bundle, [released[0], conflicting, released[1], released[2]])
    same = [released[0], released[0], released[1], released[2]]
    assert public_from_private(recover_opening_key(bundle, same)) == pub


@pytest.mark.parametrize("field", ["wrapped_key", "key_check", "opening_pub"])
def test_tampered_bundle(field: str, lot: tuple[bytes, CustodyBundle, list[ReleasedShare]]) -> None:
    _, bundle, released = lot
    value = bytearray(getattr(bundle, field))
    value[-1] ^= 1
    bad = dataclasses.replace(bundle, **{field: bytes(value)})
    with pytest.raises(CustodyError):
        recover_opening_key(bad, released[:3])


def test_sealed_share_tampering(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]], custodians: list[tuple[bytes, bytes]]
) -> None:
    _, bundle, _ = lot
    sealed = bundle.shares[1]
    with pytest.raises(CustodyError, match="not sealed to this custodian key"):
        open_share(sealed, custodians[0][0])
    for field in ("ciphertext", "enc"):
        raw = bytearray(getattr(sealed, field))
        raw[0] ^= 1
        with pytest.raises(CustodyError, match="share 2"):
            open_share(dataclasses.replace(sealed, **{field: bytes(raw)}), custodians[1][0])
    # Index, threshold and bundle id are bound into the HPKE context.
    for change in ({"index": 3}, {"threshold": 2}, {"custody_id": bytes(16)}):
        with pytest.raises(CustodyError):
            open_share(dataclasses.replace(sealed, **change), custodians[1][0])


def test_parameters(custodians: list[tuple[bytes, bytes]]) -> None:
    pubs = [p for _, p in custodians]
    with pytest.raises(ParameterError, match="threshold"):
        create_custody(6, pubs)
    with pytest.raises(ParameterError, match="threshold"):
        create_custody(0, pubs)
    with pytest.raises(ParameterError, match="distinct"):
        create_custody(2, [pubs[0], pubs[0]])
    with pytest.raises(ParameterError, match="custodians"):
        create_custody(1, [])
    pub, single = create_custody(1, pubs[:1])
    key = recover_opening_key(single, [open_share(single.shares[0], custodians[0][0])])
    assert public_from_private(key) == pub


def test_malformed_dicts() -> None:
    with pytest.raises(CustodyError, match="malformed"):
        CustodyBundle.from_dict({"type": "bidhall-custody", "v": 1})
    with pytest.raises(CustodyError):
        CustodyBundle.from_dict({"type": "other", "v": 1})
    with pytest.raises(CustodyError, match="malformed released share"):
        ReleasedShare.from_dict({"custody_id": "AAAA", "index": 1, "share": "AA"})
    with pytest.raises(CustodyError):
        SealedShare.from_dict({})


def test_share_digests_come_one_per_share(
    lot: tuple[bytes, CustodyBundle, list[ReleasedShare]],
) -> None:
    _, bundle, released = lot
    for share in released:
        bundle.check_share(share)  # every share as split passes its own digest
    if not bundle.share_digests:
        return
    short = bundle.to_dict()
    short["share_digests"] = short["share_digests"][:-1]
    with pytest.raises(CustodyError, match="one share digest per share"):
        CustodyBundle.from_dict(short)
    swapped = dataclasses.replace(released[0], share=released[1].share)
    with pytest.raises(CustodyError, match="share 1 does not match its digest"):
        bundle.check_share(swapped)
