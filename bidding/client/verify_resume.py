"""`bidhall audit verify --heads FILE`: check only what the log gained since the last run.

A verifier that checked the log up to a signed head of size m keeps that head (the heads
file). Next time it fetches the heads signed since, the consistency proof from m to the
latest head n, and the leaves (and bodies) of entries m+1..n only. The proof yields the
old tree's edge (crypto.merkle_extend); the new leaves extend it, and every new head's root
must come out of it; the new bodies must hash to the new leaves, and with a supervisor
token the hash chain must run on from entry m (itself proven against the saved head).
Downloads and hashing are O(n - m + log n), not O(n); `--full` checks the whole log again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bidding.client.verify import (
    PUBLIC,
    ApiClient,
    LogError,
    Summary,
    check_bodies,
    check_public_bodies,
    download_entries,
    download_heads,
    download_leaves,
    leaf_page,
    platform_sign_key,
    rolled_back,
    root_differs,
    signed_heads,
)
from crypto import merkle
from crypto.errors import CryptoError
from crypto.merkle import leaf_of
from crypto.merkle_extend import old_edge

ENTRIES = "/api/v1/audit/entries"


def verify_since(
    api: ApiClient,
    *,
    saved_heads: list[dict[str, Any]],
    pinned_key: str | None = None,
    with_bodies: bool = False,
) -> tuple[Summary, list[dict[str, Any]]]:
    """Check the log from the largest saved head to the server's latest; return the summary
    and the saved heads plus every new head now known good."""
    platform_pub = platform_sign_key(api, pinned_key)
    saved = signed_heads(saved_heads, platform_pub)
    m = max(saved)
    last = saved[m]
    old_root = merkle.tree_head_root(last)
    server = signed_heads(download_heads(api, down_to=m), platform_pub)
    if m in server and server[m]["root"] != last["root"]:
        raise LogError(
            f"两个大小为 {m} 的树头互相矛盾 / two signed heads of size {m} disagree:"
            " the log was forked"
        )
    newer = [server[s] for s in sorted(server) if s > m]
    if not newer:
        _, now = leaf_page(api, m, 1)
        if now < m:
            raise rolled_back(m, now)
        if m not in server:
            raise LogError(
                f"服务器不再提供大小为 {m} 及以上的签名树头 / the server no longer serves a"
                f" signed head as large as the one of size {m} you saw: heads were withdrawn"
            )
        return Summary(now, len(saved), 0, 0, 0, last, since=m), [saved[s] for s in sorted(saved)]

    latest = newer[-1]
    n = latest["tree_size"]
    new_root = merkle.tree_head_root(latest)
    reply = api.get("/api/v1/audit/proof/consistency", first=m, second=n)
    try:
        proof = [bytes.fromhex(p) for p in reply["proof"]]
        merkle.verify_consistency(m, n, old_root, new_root, proof)
        edge = old_edge(m, n, old_root, proof)
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        raise LogError(
            f"树头 {m} → {n} 不一致 / heads of size {m} and {n} are not consistent: {exc}"
        ) from exc

    leaves = download_leaves(api, m + 1, n)
    if len(leaves) < n - m:
        raise rolled_back(n, m + len(leaves))
    pending = iter(newer)
    head = next(pending, None)
    for leaf in leaves:
        edge.append(leaf)
        if head is not None and head["tree_size"] == edge.size:
            if edge.root().hex() != head["root"]:
                raise root_differs(edge.size)
            head = next(pending, None)

    bodies = 0
    if with_bodies:
        entries = download_entries(api, ENTRIES, start=m, upto=n)
        if not entries or entries[0]["seq"] != m:
            raise LogError(f"审计条目 {m} 已不在日志中 / entry {m} is missing")
        prev = _signed_boundary(api, entries[0], last)
        run = entries[1:]
        if len(run) != n - m:
            raise LogError(
                f"条目数 {len(run)} 与叶子数 {n - m} 不符 / {len(run)} bodies for"
                f" {n - m} leaves after entry {m}"
            )
        check_bodies(run, leaves, first=m + 1, prev=prev)
        bodies = len(run)
    public = download_entries(api, PUBLIC, start=m + 1, upto=n)
    check_public_bodies(public, leaves, first=m + 1)

    known = {**saved, **{h["tree_size"]: h for h in newer}}
    summary = Summary(
        entries=n,
        heads=len(newer),
        consistency_checked=1,
        bodies_checked=bodies,
        public_bodies_checked=len(public),
        latest=latest,
        since=m,
    )
    return summary, [known[s] for s in sorted(known)]


def _signed_boundary(api: ApiClient, entry: dict[str, Any], head: dict[str, Any]) -> str:
    """The hash the chain runs on from: entry m's, once its body is proven to be the last
    leaf of the saved head's tree (an inclusion proof, O(log m))."""
    m = head["tree_size"]
    reply = api.get("/api/v1/audit/proof/inclusion", seq=m, tree_size=m)
    try:
        path = [bytes.fromhex(p) for p in reply["audit_path"]]
        merkle.verify_inclusion(leaf_of(entry["body"]), m - 1, m, path, merkle.tree_head_root(head))
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        raise LogError(
            f"审计条目 {m} 与已保存的树头不符 / entry {m} is not the one the saved head of"
            f" size {m} signed: {exc}"
        ) from exc
    return hashlib.sha256(entry["body"].encode("utf-8")).hexdigest()
