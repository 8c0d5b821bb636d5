"""A verifier resumes from a signed head: the old tree's edge out of a consistency proof,
extended with the new leaves, gives the new root — and a lying server cannot make it so."""

from __future__ import annotations

import pytest

from crypto import merkle
from crypto.errors import ParameterError, ProofError
from crypto.merkle import CompactRange, consistency_proof, leaf_hash, root, root_nodes
from crypto.merkle_extend import extend_range, old_edge

N = 130


def leaves_of(n: int, tag: bytes = b"") -> list[bytes]:
    return [leaf_hash(tag + i.to_bytes(4, "big")) for i in range(n)]


def extended(edge: CompactRange, new: list[bytes]) -> bytes:
    for leaf in new:
        edge.append(leaf)
    return edge.root()


def test_every_old_and_new_size_resumes_to_the_new_root() -> None:
    leaves = leaves_of(N)
    for n in range(1, N + 1):
        for m in range(n):
            proof = consistency_proof(m, leaves[:n])
            edge = old_edge(m, n, root(leaves[:m]), proof)
            # Exactly the old tree's edge subtrees, as a server that stores them holds them.
            assert edge.hashes == [
                root(leaves[i << level : (i + 1) << level]) for level, i in root_nodes(m)
            ]
            assert extended(edge, leaves[m:n]) == root(leaves[:n])


def test_a_forged_proof_or_forged_new_leaves_never_reach_the_new_root() -> None:
    leaves = leaves_of(N)
    for m, n in ((1, 2), (3, 7), (4, 9), (6, 8), (37, 130), (64, 100), (100, 129)):
        honest = consistency_proof(m, leaves[:n])
        old_root, new_root = root(leaves[:m]), root(leaves[:n])
        for i in range(len(honest)):
            forged = list(honest)
            forged[i] = leaf_hash(b"forged")
            try:
                edge = old_edge(m, n, old_root, forged)
            except ProofError:
                continue  # a hash of the old edge: refused outright
            # A hash over new leaves only: old_edge ignores it, the recomputed root is honest.
            assert extended(edge, leaves[m:n]) == new_root
            with pytest.raises(ProofError):
                merkle.verify_consistency(m, n, old_root, new_root, forged)
        # A server that rewrote an old leaf and signed the rewritten log: its proof does not
        # fold to the old root we kept, or (a perfect old tree: the proof omits it) the
        # extension of the root we kept is not the root it signed.
        rewritten = [*leaves[:n]]
        rewritten[m - 1] = leaf_hash(b"rewritten")
        try:
            edge = old_edge(m, n, old_root, consistency_proof(m, rewritten))
        except ProofError as exc:
            assert "old root" in str(exc)
        else:
            assert m & (m - 1) == 0
            assert extended(edge, rewritten[m:n]) != root(rewritten)
        # New leaves that differ from the ones the new head signed: another root.
        other = leaves_of(n - m, b"fork")
        edge = old_edge(m, n, old_root, honest)
        assert extended(edge, other) != new_root


def test_malformed_proofs_and_sizes_are_refused() -> None:
    leaves = leaves_of(20)
    proof = consistency_proof(5, leaves[:20])
    r5 = root(leaves[:5])
    with pytest.raises(ProofError, match="hashes"):
        old_edge(5, 20, r5, proof[:-1])
    with pytest.raises(ProofError, match="hashes"):
        old_edge(5, 20, r5, [*proof, proof[0]])
    with pytest.raises(ProofError, match="32 bytes"):
        old_edge(5, 20, r5, [p[:31] for p in proof])
    with pytest.raises(ProofError):
        old_edge(0, 20, r5, [])  # the empty tree's root is fixed
    with pytest.raises(ProofError):
        old_edge(0, 20, merkle.EMPTY_ROOT, proof)
    assert old_edge(0, 20, merkle.EMPTY_ROOT, []).size == 0
    for old, new in ((5, 5), (6, 5), (-1, 5)):
        with pytest.raises(ParameterError):
            old_edge(old, new, r5, proof)


def test_extend_range_completes_the_same_subtrees_as_leaf_by_leaf() -> None:
    leaves = leaves_of(300)
    for start in range(0, 140, 3):
        for count in (0, 1, 2, 3, 7, 8, 31, 64, 65, 160):
            one = CompactRange()
            for leaf in leaves[:start]:
                one.append(leaf)
            run = CompactRange(start, list(one.hashes))
            expected: list[tuple[merkle.Node, bytes]] = []
            for leaf in leaves[start : start + count]:
                expected.extend(one.append(leaf))
            assert sorted(extend_range(run, leaves[start : start + count])) == sorted(expected)
            assert (run.size, run.nodes, run.hashes) == (one.size, one.nodes, one.hashes)
            assert run.root() == root(leaves[: start + count])
    with pytest.raises(ParameterError):
        extend_range(CompactRange(), [b"short"])
