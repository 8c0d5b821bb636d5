"""Roots and proofs composed from stored complete subtrees equal the full recompute.

The reference is the full-recompute code of crypto.merkle (``root``, ``inclusion_proof``,
``consistency_proof``; the exhaustive sweep calls the tree they build, ``_Tree``, once per size
so that every (index, size) pair up to 300 stays fast). The store is simulated as the server
keeps it: each subtree's hash written when its last leaf arrives, and a lookup that refuses a
subtree not yet complete at the size asked for.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping

import pytest

from crypto import merkle
from crypto.errors import ParameterError
from crypto.merkle import (
    CompactRange,
    Node,
    append_needs,
    append_nodes,
    compose,
    consistency_nodes,
    consistency_proof,
    fold,
    inclusion_nodes,
    inclusion_proof,
    leaf_hash,
    node_end,
    range_nodes,
    root,
    root_nodes,
)

N = 300


class StoreAt(Mapping[Node, bytes]):
    """The store as it stands when the log has ``size`` leaves: later subtrees do not exist."""

    def __init__(self, nodes: dict[Node, bytes], size: int) -> None:
        self.nodes, self.size, self.read = nodes, size, 0

    def __getitem__(self, node: Node) -> bytes:
        assert node_end(node) <= self.size, f"{node} is not complete in a tree of {self.size}"
        self.read += 1
        return self.nodes[node]

    def __iter__(self) -> Iterator[Node]:
        return (n for n in self.nodes if node_end(n) <= self.size)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def grow(leaves: list[bytes]) -> dict[Node, bytes]:
    """What the server stores: every subtree, written by the append that completes it, from
    nothing but the left siblings it names (``append_needs``)."""
    store: dict[Node, bytes] = {}
    for index, leaf in enumerate(leaves):
        needs = {n: store[n] for n in append_needs(index)}
        for node, h in append_nodes(index, leaf, needs):
            assert node not in store, "a subtree is written once"
            store[node] = h
    return store


@pytest.fixture(scope="module")
def world() -> tuple[list[bytes], dict[Node, bytes]]:
    leaves = leaves_of(N)
    return leaves, grow(leaves)


def test_the_store_holds_every_complete_subtree_and_its_mth(
    world: tuple[list[bytes], dict[Node, bytes]],
) -> None:
    leaves, store = world
    expected = {
        (level, i) for level in range(N.bit_length()) for i in range(N >> level)
    }  # every aligned block of 2**level leaves inside the 300
    assert set(store) == expected
    for (level, i), h in store.items():
        assert h == root(leaves[i << level : (i + 1) << level])
    assert len(store) < 2 * N  # O(1) amortised per append


def test_every_root_and_proof_up_to_300_equals_the_full_recompute(
    world: tuple[list[bytes], dict[Node, bytes]],
) -> None:
    leaves, store = world
    for n in range(1, N + 1):
        at = StoreAt(store, n)
        reference = merkle._Tree(leaves[:n])  # what inclusion_proof/consistency_proof run
        assert fold([at[x] for x in root_nodes(n)]) == root(leaves[:n])
        for m in range(n):
            groups = inclusion_nodes(m, n)
            assert compose(groups, at) == reference.path(m, 0, n)
            assert sum(map(len, groups)) <= 2 * n.bit_length()  # O(log n) stored reads
        for m in range(n + 1):
            groups = consistency_nodes(m, n)
            expected = reference.subproof(m, 0, n, True) if 0 < m < n else []
            assert compose(groups, at) == expected
            assert sum(map(len, groups)) <= 2 * n.bit_length()
    # The sweep's shortcut is the public functions' own code: spot-check the link.
    assert compose(inclusion_nodes(77, 200), store) == inclusion_proof(77, leaves[:200])
    assert compose(consistency_nodes(77, 200), store) == consistency_proof(77, leaves[:200])


def test_random_seq_and_size_pairs_on_a_larger_log() -> None:
    leaves = leaves_of(5000)
    store = grow(leaves)
    rng = random.Random(6962)
    for _ in range(60):
        n = rng.randint(1, len(leaves))
        at = StoreAt(store, n)
        prefix = leaves[:n]
        r = root(prefix)
        assert fold([at[x] for x in root_nodes(n)]) == r
        m = rng.randrange(n)
        path = compose(inclusion_nodes(m, n), at)
        assert path == inclusion_proof(m, prefix)
        merkle.verify_inclusion(leaves[m], m, n, path, r)
        old = rng.randint(0, n)
        proof = compose(consistency_nodes(old, n), at)
        assert proof == consistency_proof(old, prefix)
        merkle.verify_consistency(old, n, root(leaves[:old]), r, proof)
        # Reads stay logarithmic however large the log.
        assert at.read <= 5 * n.bit_length()


def test_compact_range_resumes_from_any_stored_prefix() -> None:
    leaves = leaves_of(130)
    store = grow(leaves)
    for start in range(0, 131):
        edge = CompactRange(start, [store[x] for x in root_nodes(start)])
        assert edge.root() == root(leaves[:start])
        created: dict[Node, bytes] = {}
        for leaf in leaves[start:]:
            created.update(edge.append(leaf))
        assert edge.root() == root(leaves) and edge.size == len(leaves)
        assert created == {x: h for x, h in store.items() if node_end(x) > start}
        assert edge.nodes == root_nodes(len(leaves))


def test_bad_arguments_are_refused_like_the_full_recompute() -> None:
    for start, end in ((1, 3), (2, 5), (4, 9), (0, 0), (3, 2), (-1, 0)):
        with pytest.raises(ParameterError):
            range_nodes(start, end)
    for index, size in ((5, 5), (-1, 5), (0, 0)):
        with pytest.raises(ParameterError):
            inclusion_nodes(index, size)
        with pytest.raises(ParameterError):
            inclusion_proof(index, leaves_of(size))
    with pytest.raises(ParameterError):
        consistency_nodes(6, 5)
    with pytest.raises(ParameterError):
        root_nodes(-1)
    with pytest.raises(ParameterError):
        CompactRange(3, [leaf_hash(b"a")])  # a tree of 3 has two edge subtrees
    with pytest.raises(ParameterError):
        append_nodes(0, b"short", {})
    with pytest.raises(ParameterError):
        CompactRange().append(b"short")
    assert fold([]) == merkle.EMPTY_ROOT == CompactRange().root()
    assert consistency_nodes(0, 9) == consistency_nodes(9, 9) == []
    # A missing left sibling is an error, never a silently different hash.
    with pytest.raises(KeyError):
        append_nodes(1, leaf_hash(b"b"), {})
