"""RFC 6962 Merkle tree: checked against the RFC's recursive definitions for many sizes."""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import ParameterError, ProofError, TreeHeadError
from crypto.keys import Identity, generate_identity, key_id
from crypto.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    sign_tree_head,
    tree_head_root,
    verify_consistency,
    verify_inclusion,
    verify_tree_head,
)


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, literally (over leaf data)."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def data(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def test_known_roots() -> None:
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert root([leaf_hash(b"")]) == hashlib.sha256(b"\x00").digest()
    # RFC 6962 / certificate-transparency reference test vector (8 leaves).
    leaves = [
        bytes.fromhex(h)
        for h in [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
    ]
    expected = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert root([leaf_hash(x) for x in leaves]).hex() == expected


@pytest.mark.parametrize("n", range(1, 34))
def test_root_and_inclusion_match_rfc(n: int) -> None:
    d = data(n)
    hashes = [leaf_hash(x) for x in d]
    r = root(hashes)
    assert r == ref_mth(d)
    for m in range(n):
        proof = inclusion_proof(m, hashes)
        assert proof == ref_path(m, d)
        verify_inclusion(hashes[m], m, n, proof, r)


@pytest.mark.parametrize("n", range(1, 34))
def test_consistency_match_rfc(n: int) -> None:
    d = data(n)
    hashes = [leaf_hash(x) for x in d]
    new_root = root(hashes)
    for m in range(0, n + 1):
        proof = consistency_proof(m, hashes)
        if 0 < m < n:
            assert proof == ref_subproof(m, d, True)
        verify_consistency(m, n, root(hashes[:m]), new_root, proof)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 16, 31])
def test_inclusion_fails_after_edit_delete_reorder(n: int) -> None:
    hashes = [leaf_hash(x) for x in data(n)]
    r = root(hashes)
    for m in range(n):
        proof = inclusion_proof(m, hashes)
        edited = list(hashes)
        edited[m] = leaf_hash(b"edited")
        with pytest.raises(ProofError):
            verify_inclusion(edited[m], m, n, proof, r)
        # Someone edits any row: old proofs against the *new* root stop verifying.
        other = (m + 1) % n
        edited = list(hashes)
        edited[other] = leaf_hash(b"edited")
        with pytest.raises(ProofError):
            verify_inclusion(hashes[m], m, n, proof, root(edited))
        deleted = hashes[:other] + hashes[other + 1 :]
        if deleted:
            with pytest.raises(ProofError):
                verify_inclusion(hashes[m], m, n, proof, root(deleted))
        swapped = list(hashes)
        swapped[m], swapped[other] = swapped[other], swapped[m]
        if other != m:
            with pytest.raises(ProofError):
                verify_inclusion(hashes[m], m, n, proof, root(swapped))
        # Wrong index, tampered or truncated proof. (The tree size is bound to the root
        # by the signed tree head, not by the proof: some paths fit two sizes.)
        with pytest.raises(ProofError):
            verify_inclusion(hashes[m], other, n, proof, r)
        if proof:
            with pytest.raises(ProofError):
                verify_inclusion(hashes[m], m, n, proof[:-1], r)
            with pytest.raises(ProofError):
                verify_inclusion(hashes[m], m, n, [*proof, proof[0]], r)
            bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            with pytest.raises(ProofError):
                verify_inclusion(hashes[m], m, n, bad, r)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 16, 31])
def test_consistency_fails_after_history_rewrite(n: int) -> None:
    hashes = [leaf_hash(x) for x in data(n)]
    for m in range(1, n):
        old_root = root(hashes[:m])
        # Rewrite a leaf inside the old tree, delete one, or reorder two, then extend.
        for rewritten in (
            [leaf_hash(b"x"), *hashes[1:]],
            hashes[: m - 1] + hashes[m:] + [leaf_hash(b"pad")],
            [hashes[m - 1], *hashes[: m - 1], *hashes[m:]] if m > 1 else None,
        ):
            if rewritten is None:
                continue
            proof = consistency_proof(m, rewritten)
            with pytest.raises(ProofError):
                verify_consistency(m, len(rewritten), old_root, root(rewritten), proof)
        proof = consistency_proof(m, hashes)
        with pytest.raises(ProofError):
            verify_consistency(m, n, old_root, root(hashes), proof[:-1])
        with pytest.raises(ProofError):
            verify_consistency(m, n, old_root, root(hashes), [*proof, proof[0]])
        with pytest.raises(ProofError):
            verify_consistency(m, n, leaf_hash(b"?"), root(hashes), proof)


def test_consistency_edge_cases() -> None:
    hashes = [leaf_hash(x) for x in data(4)]
    r = root(hashes)
    verify_consistency(4, 4, r, r, [])
    with pytest.raises(ProofError):
        verify_consistency(4, 4, r, leaf_hash(b"x"), [])
    with pytest.raises(ProofError):
        verify_consistency(5, 4, r, r, [])
    with pytest.raises(ProofError):
        verify_consistency(2, 4, root(hashes[:2]), r, [])
    verify_consistency(0, 4, EMPTY_ROOT, r, [])
    with pytest.raises(ParameterError):
        consistency_proof(5, hashes)
    with pytest.raises(ParameterError):
        inclusion_proof(4, hashes)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 3000), st.data())
def test_large_trees_property(n: int, draw: st.DataObject) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    m = draw.draw(st.integers(0, n - 1))
    old = draw.draw(st.integers(1, n))
    r = root(hashes)
    verify_inclusion(hashes[m], m, n, inclusion_proof(m, hashes), r)
    verify_consistency(old, n, root(hashes[:old]), r, consistency_proof(old, hashes))


def test_100k_leaves_is_fast() -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(100_000)]
    t = time.perf_counter()
    r = root(hashes)
    proof = inclusion_proof(99_999, hashes)
    cproof = consistency_proof(65_537, hashes)
    assert time.perf_counter() - t < 2.0
    verify_inclusion(hashes[99_999], 99_999, 100_000, proof, r)
    verify_consistency(65_537, 100_000, root(hashes[:65_537]), r, cproof)


@pytest.fixture(scope="module")
def log_key() -> Identity:
    return generate_identity()


def test_tree_head_round_trip_and_tampering(log_key: Identity) -> None:
    r = root([leaf_hash(b"a"), leaf_hash(b"b")])
    sth = sign_tree_head(log_key.sign_priv, 2, r, "2026-11-03T00:00:00Z", key_id(log_key.sign_pub))
    verify_tree_head(sth, log_key.sign_pub)
    assert tree_head_root(sth) == r
    for field, value in (
        ("tree_size", 3),
        ("root", EMPTY_ROOT.hex()),
        ("timestamp", "2026-11-03T00:00:01Z"),
        ("key_id", "ed25519:ffffffffffffffff"),
    ):
        with pytest.raises(TreeHeadError):
            verify_tree_head({**sth, field: value}, log_key.sign_pub)
    with pytest.raises(TreeHeadError, match="signature invalid"):
        verify_tree_head(sth, generate_identity().sign_pub)
    with pytest.raises(TreeHeadError):
        verify_tree_head({**sth, "extra": 1}, log_key.sign_pub)
    with pytest.raises(ParameterError):
        sign_tree_head(log_key.sign_priv, 2, r, "now", "k")
