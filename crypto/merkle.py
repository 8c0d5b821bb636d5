"""RFC 6962 / RFC 9162 Merkle tree for the audit log, with signed tree heads.

Two ways to the same roots and proofs:

- from all the leaf hashes (``root``, ``inclusion_proof``, ``consistency_proof``): the RFC's
  recursive definitions (PATH, SUBPROOF) over a table of levels built in O(n); the reference,
  and what a verifier holding the whole log uses;
- from stored complete subtrees (``Node`` = (level, index)): every range the RFC recursions
  hash is the right fold of O(log n) aligned complete subtrees, so a server that keeps each
  subtree's hash as it completes (``append_nodes``, ``CompactRange``) answers any root or
  proof from O(log n) stored hashes (``root_nodes``, ``inclusion_nodes``,
  ``consistency_nodes`` name them; ``fold`` and ``compose`` hash them).

Verification implements RFC 9162 sections 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crypto.encoding import hex_digest_decode, is_hex_digest
from crypto.errors import ParameterError, ProofError, SignatureError, TreeHeadError
from crypto.signing import is_utc_timestamp, sign_object, verify_object

STH_TYPE = "bidhall-tree-head"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """levels[h][i] = hash of leaves [i*2^h, (i+1)*2^h) for every *complete* block."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _largest_pow2_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class _Tree:
    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        for h in leaf_hashes:
            if len(h) != 32:
                raise ParameterError("leaf hashes must be 32 bytes")
        self.levels = _levels(leaf_hashes)
        self.size = len(leaf_hashes)

    def mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for the ranges the RFC recursions produce."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        height = n.bit_length() - 1
        if n == 1 << height and start % n == 0:
            return self.levels[height][start >> height]
        k = _largest_pow2_below(n)
        return node_hash(self.mth(start, start + k), self.mth(start + k, end))

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _largest_pow2_below(n)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self.mth(start, end)]
        k = _largest_pow2_below(n)
        if m <= k:
            return [*self.subproof(m, start, start + k, complete), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaf hashes; SHA-256("") for the empty tree. Iterative, O(n)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])  # the unpaired right edge moves up unchanged (RFC 6962)
        level = nxt
    return level[0]


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    if not 0 <= index < len(leaf_hashes):
        raise ParameterError(f"leaf index {index} outside a tree of {len(leaf_hashes)}")
    return _Tree(leaf_hashes).path(index, 0, len(leaf_hashes))


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    new_size = len(leaf_hashes)
    if not 0 <= old_size <= new_size:
        raise ParameterError(f"old size {old_size} outside 0..{new_size}")
    if old_size in (0, new_size):
        return []  # the empty tree and a tree itself need no proof
    return _Tree(leaf_hashes).subproof(old_size, 0, new_size, True)


# ---- from stored complete subtrees -----------------------------------------------------------

# (level, index): the complete subtree over leaves [index * 2**level, (index + 1) * 2**level).
# It exists, and never changes, once the log holds (index + 1) * 2**level leaves.
Node = tuple[int, int]


def node_end(node: Node) -> int:
    """How many leaves the log needs before ``node`` is complete."""
    level, index = node
    return (index + 1) << level


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees whose right fold is MTH(D[start:end]), largest first.

    Defined for the ranges the RFC recursions hash: ``start`` a multiple of the smallest
    power of two >= ``end - start`` (every prefix, every sibling in a proof). Then
    MTH = node_hash(first, MTH(rest)) peels off the largest aligned subtree each time.
    """
    size = end - start
    if size <= 0 or start < 0 or start % (1 << (size - 1).bit_length()):
        raise ParameterError(f"[{start}, {end}) is not a range the RFC tree hashes")
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def root_nodes(size: int) -> list[Node]:
    """The subtrees whose fold is the root of a tree of ``size`` leaves (none when empty)."""
    if size < 0:
        raise ParameterError("tree size must be non-negative")
    return range_nodes(0, size) if size else []


def inclusion_nodes(index: int, size: int) -> list[list[Node]]:
    """For each hash of the audit path of leaf ``index`` (RFC 9162 PATH), the subtrees that
    fold into it. O(log n) nodes in all: only the sibling on the right edge is composite."""
    if not 0 <= index < size:
        raise ParameterError(f"leaf index {index} outside a tree of {size}")
    siblings: list[list[Node]] = []  # from the root down; the proof lists them bottom-up
    start, end, m = 0, size, index
    while end - start > 1:
        k = _largest_pow2_below(end - start)
        if m < k:
            siblings.append(range_nodes(start + k, end))
            end = start + k
        else:
            siblings.append(range_nodes(start, start + k))
            start, m = start + k, m - k
    siblings.reverse()
    return siblings


def consistency_nodes(old_size: int, new_size: int) -> list[list[Node]]:
    """For each hash of the proof that the first ``old_size`` leaves are a prefix of the
    first ``new_size`` (RFC 9162 SUBPROOF with b = true), the subtrees that fold into it."""
    if not 0 <= old_size <= new_size:
        raise ParameterError(f"old size {old_size} outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    siblings: list[list[Node]] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = _largest_pow2_below(end - start)
        if m <= k:
            siblings.append(range_nodes(start + k, end))
            end = start + k
        else:
            siblings.append(range_nodes(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        siblings.append(range_nodes(start, end))
    siblings.reverse()
    return siblings


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its subtrees, largest first: node_hash(h0, node_hash(h1, ...))."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def compose(groups: Iterable[Sequence[Node]], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """Each group of subtrees folded into one hash: a proof from ``*_nodes`` and the store."""
    return [fold([nodes[n] for n in group]) for group in groups]


def append_needs(index: int) -> list[Node]:
    """The stored subtrees appending leaf ``index`` combines with: the left sibling of each
    subtree it completes (none for an even index, one on average)."""
    needs: list[Node] = []
    level = 0
    while index & 1:
        needs.append((level, index - 1))
        level, index = level + 1, index >> 1
    return needs


def append_nodes(index: int, leaf: bytes, stored: Mapping[Node, bytes]) -> list[tuple[Node, bytes]]:
    """The subtrees that complete when leaf ``index`` is appended, the leaf itself first."""
    if len(leaf) != 32:
        raise ParameterError("leaf hashes must be 32 bytes")
    out: list[tuple[Node, bytes]] = [((0, index), leaf)]
    level, h = 0, leaf
    while index & 1:
        h = node_hash(stored[(level, index - 1)], h)
        level, index = level + 1, index >> 1
        out.append(((level, index), h))
    return out


class CompactRange:
    """The complete subtrees covering a prefix of the log (its ``root_nodes``): enough to
    extend the tree leaf by leaf and to give its root, in O(log n) memory."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        self.nodes = root_nodes(size)
        if len(hashes) != len(self.nodes) or any(len(h) != 32 for h in hashes):
            raise ParameterError(f"a tree of {size} leaves has {len(self.nodes)} edge hashes")
        self.hashes = list(hashes)
        self.size = size

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add the next leaf; return the subtrees it completes (as ``append_nodes``)."""
        if len(leaf) != 32:
            raise ParameterError("leaf hashes must be 32 bytes")
        created: list[tuple[Node, bytes]] = [((0, self.size), leaf)]
        level, index, h = 0, self.size, leaf
        while index & 1:  # the edge's smallest subtree is the left sibling: merge it
            self.nodes.pop()
            h = node_hash(self.hashes.pop(), h)
            level, index = level + 1, index >> 1
            created.append(((level, index), h))
        self.nodes.append((level, index))
        self.hashes.append(h)
        self.size += 1
        return created

    def root(self) -> bytes:
        return fold(self.hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 2.1.3.2; raise :class:`ProofError` unless the leaf is in the tree."""
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} outside a tree of {tree_size}")
    if any(len(p) != 32 for p in proof):
        raise ProofError("proof hashes must be 32 bytes")
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if not hmac.compare_digest(r, root):
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 2.1.4.2; raise :class:`ProofError` unless the old tree is a prefix."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if any(len(p) != 32 for p in proof):
        raise ProofError("proof hashes must be 32 bytes")
    if old_size == new_size:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if not hmac.compare_digest(old_root, new_root):
            raise ProofError("equal-size trees have different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError("consistency proof from the empty tree must be empty")
        if not hmac.compare_digest(old_root, EMPTY_ROOT):
            raise ProofError("the empty tree's root must be SHA-256 of nothing")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError("consistency proof does not match the old root")
    if not hmac.compare_digest(sr, new_root):
        raise ProofError("consistency proof does not match the new root")


def sign_tree_head(
    platform_priv: bytes, tree_size: int, root: bytes, timestamp_iso: str, key_id: str
) -> dict[str, Any]:
    """Signed tree head: canonical JSON {type, v, tree_size, root (hex), timestamp, key_id}
    plus a base64url Ed25519 signature."""
    if type(tree_size) is not int or tree_size < 0:
        raise ParameterError("tree size must be a non-negative int")
    if len(root) != 32:
        raise ParameterError("root must be 32 bytes")
    if not is_utc_timestamp(timestamp_iso):
        raise ParameterError("timestamp must be an ISO-8601 UTC timestamp")
    if not isinstance(key_id, str) or not key_id:
        raise ParameterError("key_id must be a non-empty string")
    fields = {
        "type": STH_TYPE,
        "v": 1,
        "tree_size": tree_size,
        "root": root.hex(),
        "timestamp": timestamp_iso,
        "key_id": key_id,
    }
    return sign_object(platform_priv, fields)


def verify_tree_head(sth: Any, platform_pub: bytes) -> None:
    """Raise :class:`TreeHeadError` unless ``sth`` is a well-formed, genuine tree head."""
    if not isinstance(sth, dict):
        raise TreeHeadError("tree head must be an object")
    expected = {"type", "v", "tree_size", "root", "timestamp", "key_id", "signature"}
    if set(sth) != expected:
        raise TreeHeadError("tree head has missing or unknown fields")
    if sth["type"] != STH_TYPE or sth["v"] != 1:
        raise TreeHeadError("not a bidhall tree head (type or version)")
    if type(sth["tree_size"]) is not int or sth["tree_size"] < 0:
        raise TreeHeadError("tree_size must be a non-negative int")
    if not is_hex_digest(sth["root"]) or not is_utc_timestamp(sth["timestamp"]):
        raise TreeHeadError("tree head root or timestamp malformed")
    try:
        verify_object(sth, platform_pub)
    except SignatureError as exc:
        raise TreeHeadError(f"tree head signature invalid: {exc}") from exc


def tree_head_root(sth: dict[str, Any]) -> bytes:
    """The root of a (verified) tree head as bytes."""
    return hex_digest_decode(sth["root"], what="root")


# The audit log's hash chain starts from this "previous hash"; the verifier needs it too.
GENESIS = "0" * 64


def leaf_of(body: str) -> bytes:
    """The RFC 6962 leaf hash of an audit entry: SHA-256(0x00 || canonical body bytes)."""
    return leaf_hash(body.encode("utf-8"))
