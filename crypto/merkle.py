"""RFC 6962 / RFC 9162 Merkle tree for the audit log, with signed tree heads.

Proof generation follows the RFC's recursive definitions (PATH, SUBPROOF) but reads
complete, aligned subtree hashes from a table of levels built once in O(n), so each proof
costs O(log^2 n) hashing. Verification implements RFC 9162 sections 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
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
