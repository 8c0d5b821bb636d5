"""Resuming a verified Merkle tree from its signed head: the old tree's edge out of a
consistency proof.

A verifier that checked a log up to a signed head of size m and now meets a head of size n
needs neither the first m leaves again nor anything saved besides that head. Every hash of
the RFC 9162 consistency proof from m to n covers either old leaves only or new leaves only,
and the old-only ones are exactly the complete subtrees on the old tree's right edge (its
``root_nodes``; for m a power of two the edge is the old root itself, which the proof omits).
With that edge and the n - m new leaves the verifier recomputes the new root on its own:
if the edge folds to the old root and the extension gives the new root, the new tree
extends the old one, whatever else the server says.

``extend_range`` appends a long run of leaves to a compact range a level at a time (the
sweep of a whole log re-hashes a page of leaves with it).
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.errors import ParameterError, ProofError
from crypto.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    consistency_nodes,
    node_end,
    node_hash,
    root_nodes,
)


def old_edge(old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]) -> CompactRange:
    """The edge of the old tree, taken from the consistency proof ``old_size`` → ``new_size``,
    ready to append leaf ``old_size``. Raises :class:`ProofError` unless the proof has the
    RFC's shape and its old-only hashes fold to ``old_root``."""
    if not 0 <= old_size < new_size:
        raise ParameterError(f"old size {old_size} must be below new size {new_size}")
    if len(old_root) != 32 or any(len(p) != 32 for p in proof):
        raise ProofError("roots and proof hashes must be 32 bytes")
    if old_size == 0:
        if proof:
            raise ProofError("consistency proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise ProofError("the empty tree's root must be SHA-256 of nothing")
        return CompactRange()
    groups = consistency_nodes(old_size, new_size)
    if len(groups) != len(proof):
        raise ProofError(
            f"consistency proof {old_size} → {new_size} has {len(proof)} hashes, not {len(groups)}"
        )
    edge = root_nodes(old_size)
    known: dict[Node, bytes] = {}
    if len(edge) == 1:
        known[edge[0]] = old_root  # a perfect old tree: the proof leaves its root out
    for group, h in zip(groups, proof, strict=True):
        if node_end(group[-1]) <= old_size:  # old leaves only: always one complete subtree
            known[group[0]] = h
    if any(n not in known for n in edge):
        raise ProofError("consistency proof lacks a subtree of the old tree's edge")
    resumed = CompactRange(old_size, [known[n] for n in edge])
    if resumed.root() != old_root:
        raise ProofError("consistency proof does not match the old root")
    return resumed


def extend_range(edge: CompactRange, leaves: Sequence[bytes]) -> list[tuple[Node, bytes]]:
    """Append a run of leaves to ``edge`` and return the subtrees they complete: the same as
    ``edge.append`` leaf by leaf, computed a level at a time (pairs hashed in one sweep per
    level instead of a loop per leaf), for re-hashing long runs."""
    if any(len(leaf) != 32 for leaf in leaves):
        raise ParameterError("leaf hashes must be 32 bytes")
    start, end = edge.size, edge.size + len(leaves)
    known: dict[Node, bytes] = dict(zip(edge.nodes, edge.hashes, strict=True))
    left_of = {level: (idx, h) for (level, idx), h in known.items()}  # one per level at most
    created: list[tuple[Node, bytes]] = [((0, start + i), h) for i, h in enumerate(leaves)]
    level, first, run = 0, start, list(leaves)
    while run:
        if first & 1:  # the run's first node pairs with the edge's subtree on its left
            idx, h = left_of[level]
            if idx != first - 1:
                raise ParameterError("the edge does not end where the run starts")
            run.insert(0, h)
            first -= 1
        parents = [node_hash(run[i], run[i + 1]) for i in range(0, len(run) - 1, 2)]
        level, first = level + 1, first >> 1
        created.extend(((level, first + i), h) for i, h in enumerate(parents))
        run = parents
    known.update(created)
    nodes = root_nodes(end)
    edge.nodes, edge.hashes, edge.size = nodes, [known[n] for n in nodes], end
    return created
