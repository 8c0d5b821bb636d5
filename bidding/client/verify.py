"""Checking a downloaded audit log against the platform's signed tree heads (client side).

Pure functions over what the API serves (leaf hashes, heads, bodies) plus a tiny HTTP
client; `bidhall audit verify` and `bidhall receipt verify` drive them. Nothing here reads
the platform's database: this is what an outsider runs.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from crypto import merkle
from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from crypto.merkle import GENESIS, leaf_of

LEAF_PAGE = 10000
BODY_PAGE = 1000
HEAD_PAGE = 1000
PUBLIC = "/api/v1/audit/entries/public"
NEXT_START = "X-Next-Start"  # the public listing's cursor (trading/audit/api.py)


class LogError(Exception):
    """The log or a head fails verification; the message says which and why."""


class ApiError(Exception):
    """The server could not be reached or refused the request (its problem detail)."""


class ApiClient:
    """A small synchronous JSON client with one-line errors (problem+json aware)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 120.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(f"无法连接服务器 / cannot reach {self.base_url}: {exc}") from exc
        if response.is_error:
            raise ApiError(problem_line(response))
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(f"服务器返回的不是 JSON / {path} did not return JSON") from exc

    def get(self, path: str, **params: Any) -> Any:
        return self.json("GET", path, params={k: v for k, v in params.items() if v is not None})


def problem_line(response: httpx.Response) -> str:
    """One line from an error response: its problem detail when it has one."""
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            detail = str(body.get("detail") or body.get("title") or "")
    except ValueError:
        detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return (
        f"服务器拒绝 / server refused ({response.status_code}): {detail or response.reason_phrase}"
    )


# ---- pure checks ------------------------------------------------------------------------------


def prefix_roots(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """MTH of every requested prefix in one pass (a compact range: O(n + k log n))."""
    wanted = sorted(set(sizes))
    out: dict[int, bytes] = {}
    stack: list[tuple[int, bytes]] = []  # (height, hash) of complete subtrees, left to right
    pending = iter(wanted)
    nxt = next(pending, None)
    if nxt == 0:
        out[0] = merkle.EMPTY_ROOT
        nxt = next(pending, None)
    for count, leaf in enumerate(leaves, start=1):
        if nxt is None:
            break
        stack.append((0, leaf))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (height, right), (_, left) = stack.pop(), stack.pop()
            stack.append((height + 1, merkle.node_hash(left, right)))
        if count == nxt:
            acc = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                acc = merkle.node_hash(left, acc)
            out[count] = acc
            nxt = next(pending, None)
    return out


def check_heads(
    heads: Sequence[dict[str, Any]], leaves: Sequence[bytes], platform_pub: bytes
) -> list[dict[str, Any]]:
    """Verify each head's signature and recompute its root from the leaves.

    Returns the distinct heads sorted by size. Heads of the same size with different roots,
    or a head larger than the log, mean a forked or rolled-back log.
    """
    by_size = signed_heads(heads, platform_pub)
    if not by_size:
        raise LogError("没有可核对的签名树头 / no signed tree head to check against")
    too_big = [s for s in by_size if s > len(leaves)]
    if too_big:
        raise rolled_back(max(too_big), len(leaves))
    roots = prefix_roots(leaves, by_size)
    for size in sorted(by_size):
        if roots[size].hex() != by_size[size]["root"]:
            raise root_differs(size)
    return [by_size[s] for s in sorted(by_size)]


def signed_heads(heads: Iterable[dict[str, Any]], platform_pub: bytes) -> dict[int, dict[str, Any]]:
    """The heads by size, each signature verified; two of one size with different roots
    mean a forked log."""
    by_size: dict[int, dict[str, Any]] = {}
    for head in heads:
        size = head.get("tree_size") if isinstance(head, dict) else None
        try:
            merkle.verify_tree_head(head, platform_pub)
        except CryptoError as exc:
            raise LogError(f"签名树头无效 / tree head of size {size}: {exc}") from exc
        seen = by_size.setdefault(head["tree_size"], head)
        if seen["root"] != head["root"]:
            raise LogError(
                f"两个大小为 {size} 的树头互相矛盾 / two signed heads of size {size} disagree:"
                " the log was forked"
            )
    return by_size


def rolled_back(size: int, entries: int) -> LogError:
    return LogError(
        f"签名树头大小 {size} 超过日志现有 {entries} 条 / a signed head covers"
        f" {size} entries but the log has {entries}: entries were deleted or the"
        " log was rolled back"
    )


def root_differs(size: int) -> LogError:
    return LogError(
        f"日志与大小为 {size} 的签名树头不符 / the log does not match the signed tree head"
        f" of size {size}: an entry was edited, deleted or reordered, or the log was forked"
    )


def check_consistency(
    heads: Sequence[dict[str, Any]], fetch: Callable[[int, int], Sequence[str]]
) -> int:
    """Check the server's consistency proof between each pair of consecutive heads."""
    checked = 0
    for old, new in itertools.pairwise(heads):
        try:
            proof = [bytes.fromhex(p) for p in fetch(old["tree_size"], new["tree_size"])]
            merkle.verify_consistency(
                old["tree_size"],
                new["tree_size"],
                merkle.tree_head_root(old),
                merkle.tree_head_root(new),
                proof,
            )
        except (CryptoError, ValueError) as exc:
            raise LogError(
                f"树头 {old['tree_size']} → {new['tree_size']} 不一致 / heads of size"
                f" {old['tree_size']} and {new['tree_size']} are not consistent: {exc}"
            ) from exc
        checked += 1
    return checked


def check_bodies(
    entries: Sequence[dict[str, Any]],
    leaves: Sequence[bytes],
    *,
    first: int = 1,
    prev: str = GENESIS,
) -> None:
    """Each body hashes to its leaf and the hash chain holds: the run of entries from seq
    ``first`` (the whole log by default), ``leaves[i]`` being the leaf of seq first + i and
    ``prev`` the hash of the entry before the run."""
    for position, entry in enumerate(entries, start=first):
        seq, body = entry["seq"], entry["body"]
        if not first <= seq < first + len(leaves) or not hmac.compare_digest(
            leaf_of(body), leaves[seq - first]
        ):
            raise LogError(
                f"审计条目 {seq} 与其叶子哈希不符 / entry {seq}: body does not hash to its leaf"
            )
        record = json.loads(body)
        if seq != position or record.get("seq") != seq:
            raise LogError(f"审计条目 {seq} 序号错误 / entry {seq}: out of sequence")
        if record.get("prev_hash") != prev:
            raise LogError(
                f"审计条目 {seq} 未链接到前一条 / entry {seq}: not linked to the previous entry"
            )
        prev = hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_public_bodies(
    entries: Sequence[dict[str, Any]], leaves: Sequence[bytes], *, first: int = 1
) -> None:
    """Public bodies (of opened lots) are a sparse subset: each must hash to its leaf
    (``leaves[i]`` the leaf of seq first + i)."""
    for entry in entries:
        seq = entry["seq"]
        if not first <= seq < first + len(leaves) or not hmac.compare_digest(
            leaf_of(entry["body"]), leaves[seq - first]
        ):
            raise LogError(
                f"公开审计条目 {seq} 与其叶子哈希不符 / public entry {seq}: body does not hash"
                " to its leaf"
            )


# ---- downloading ------------------------------------------------------------------------------


def leaf_page(api: ApiClient, start: int, limit: int) -> tuple[list[bytes], int]:
    """Leaf hashes of entries ``start``.. (at most ``limit``) and the log's size now."""
    page = api.get("/api/v1/audit/leaves", start=start, limit=limit)
    try:
        return [bytes.fromhex(h) for h in page["leaves"]], int(page["tree_size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LogError("服务器返回的叶子哈希格式错误 / malformed leaf hashes") from exc


def download_leaves(api: ApiClient, start: int = 1, upto: int | None = None) -> list[bytes]:
    """Leaves of entries ``start``..``upto`` (the whole log from ``start`` by default)."""
    leaves: list[bytes] = []
    while upto is None or start + len(leaves) <= upto:
        want = LEAF_PAGE if upto is None else min(LEAF_PAGE, upto - start - len(leaves) + 1)
        page, _ = leaf_page(api, start + len(leaves), want)
        leaves.extend(page[:want])  # never more than asked, whatever the server sends
        if len(page) < want:
            break
    return leaves


def download_heads(api: ApiClient, down_to: int = 0) -> list[dict[str, Any]]:
    """Signed heads newest first, down to those of size ``down_to`` (all by default)."""
    heads: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        page = api.get("/api/v1/audit/heads", limit=HEAD_PAGE, before=before)
        heads.extend(h for h in page if _size(h) >= down_to)
        if len(page) < HEAD_PAGE or any(_size(h) < down_to for h in page):
            return heads
        before = _size(page[-1])


def _size(head: Any) -> int:
    size = head.get("tree_size") if isinstance(head, dict) else None
    if type(size) is not int:
        raise LogError("服务器返回的树头格式错误 / malformed signed tree head")
    return size


def download_entries(
    api: ApiClient, path: str, start: int = 1, upto: int | None = None
) -> list[dict[str, Any]]:
    """Bodies from seq ``start`` to ``upto`` (keyset pages). The public listing examines a
    bounded run of seqs per page and says where to go on (X-Next-Start): followed to the end."""
    entries: list[dict[str, Any]] = []
    while upto is None or start <= upto:
        response = api.request("GET", path, params={"start": start, "limit": BODY_PAGE})
        try:
            page = response.json()
            entries.extend(e for e in page if upto is None or e["seq"] <= upto)
            after = response.headers.get(NEXT_START)
            if after is None and len(page) == BODY_PAGE:
                after = str(page[-1]["seq"] + 1)
            following = None if after is None else int(after)
        except (KeyError, TypeError, ValueError) as exc:
            raise LogError(f"服务器返回的条目格式错误 / malformed entries from {path}") from exc
        if following is None:
            break
        if following <= start:
            raise LogError(f"服务器的分页不前进 / {path} does not page forward from {start}")
        start = following
    return entries


def platform_sign_key(api: ApiClient, pinned: str | None) -> bytes:
    text = pinned if pinned else api.get("/api/v1/platform/key")["sign_pub"]
    try:
        return b64u_decode(text, length=32, what="platform key")
    except CryptoError as exc:
        raise LogError(f"平台公钥格式错误 / platform key: {exc}") from exc


# ---- the heads file a verifier keeps between runs ---------------------------------------------


def load_heads_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LogError(f"无法读取树头文件 / cannot read heads file {path}: {exc}") from exc
    if not isinstance(data, list):
        raise LogError(f"树头文件应为 JSON 数组 / heads file {path} must hold a JSON list")
    return data


def save_heads_file(path: Path, heads: Sequence[dict[str, Any]]) -> None:
    """Write atomically: a failed run never leaves a half-written witness file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(list(heads), fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Summary:
    entries: int
    heads: int
    consistency_checked: int
    bodies_checked: int
    public_bodies_checked: int
    latest: dict[str, Any]
    since: int = 0  # the saved head's size the run started from (0: the whole log)


def verify_log(
    api: ApiClient,
    *,
    pinned_key: str | None = None,
    saved_heads: Sequence[dict[str, Any]] = (),
    with_bodies: bool = False,
) -> tuple[Summary, list[dict[str, Any]]]:
    """Download and check everything; return the summary and every head now known good."""
    platform_pub = platform_sign_key(api, pinned_key)
    heads = download_heads(api)
    leaves = download_leaves(api)
    good = check_heads([*heads, *saved_heads], leaves, platform_pub)
    checked = check_consistency(
        good,
        lambda a, b: api.get("/api/v1/audit/proof/consistency", first=a, second=b)["proof"],
    )
    bodies = 0
    if with_bodies:
        entries = download_entries(api, "/api/v1/audit/entries")
        if len(entries) != len(leaves):
            raise LogError(
                f"条目数 {len(entries)} 与叶子数 {len(leaves)} 不符 / {len(entries)} bodies"
                f" for {len(leaves)} leaves"
            )
        check_bodies(entries, leaves)
        bodies = len(entries)
    public = download_entries(api, PUBLIC)
    check_public_bodies(public, leaves)
    summary = Summary(
        entries=len(leaves),
        heads=len(good),
        consistency_checked=checked,
        bodies_checked=bodies,
        public_bodies_checked=len(public),
        latest=good[-1],
    )
    return summary, good


SETTLED = ("opened", "failed", "cancelled")


def follow_opening(api: ApiClient, lot: int, say: Callable[[str], None]) -> str:
    """Follow the hall's event stream until the lot's opening settles; the final state.

    Releases answer 202 and decrypt in the background; this is how a party sees the outcome
    without polling. Bounded by the client's read timeout between events (the hall sends a
    keep-alive every few seconds)."""
    state = ""
    try:
        with api.http.stream("GET", f"/lots/{lot}/hall/events") as response:
            if response.is_error:
                response.read()
                raise ApiError(problem_line(response))
            kind = ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    kind = line.partition(":")[2].strip()
                elif line.startswith("data:") and kind:
                    data = json.loads(line.partition(":")[2])
                    if kind == "decrypt":
                        say(f"解密进度 / decrypted {data.get('done')}/{data.get('total')}")
                    state = data.get("state", state) if isinstance(data, dict) else state
                    if kind == "record" or state in SETTLED:
                        return state if state in SETTLED else "opened"
    except httpx.TransportError as exc:
        raise ApiError(f"开标进度中断 / lost the hall's event stream: {exc}") from exc
    return state
