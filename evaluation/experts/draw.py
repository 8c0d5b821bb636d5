"""The committee draw (随机抽取), as a pure function anyone can rerun.

A draw document holds everything the draw used: the pool snapshot (pseudonymous expert codes,
their specialties and whether each could sit — conflicts are decided before the draw and
recorded with their cause), the demand (experts per specialty, in order), the seed, and the
experts who declined with their reasons. Each expert's ticket is SHA-256(seed ‖ code); for
each demand in turn the lowest tickets among the eligible experts of that specialty not yet
chosen are taken, skipping those who declined — so a replacement is simply the next ticket,
and the same document always gives the same committee. The platform commits to the seed's
hash in the audit log before drawing and reveals the seed after the award
(`bidhall evaluate draw FILE.json` reruns it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.canonical import canonical_json

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
SPECIALTY = re.compile(r"[A-Z][0-9A-Z]{1,11}")
MAX_POOL = 100_000


class DrawError(ValueError):
    """The document cannot be drawn from; the message names the field and why."""


@dataclass(frozen=True)
class PoolEntry:
    code: str
    specialties: tuple[str, ...]
    excluded: str = ""  # why the expert cannot sit on this lot ("" = eligible)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "specialties": list(self.specialties), "excluded": self.excluded}


@dataclass(frozen=True)
class Demand:
    specialty: str
    count: int


@dataclass(frozen=True)
class Pick:
    code: str
    specialty: str
    ticket: str  # hex
    declined: str = ""  # the reason, when the expert declined (a replacement follows)


def ticket(seed: bytes, code: str) -> bytes:
    return hashlib.sha256(seed + code.encode()).digest()


def pool_digest(pool: Sequence[PoolEntry]) -> str:
    """SHA-256 of the snapshot's canonical JSON: what the draw commits to before it runs."""
    return hashlib.sha256(canonical_json([e.as_json() for e in pool])).hexdigest()


def draw(
    pool: Sequence[PoolEntry],
    demand: Sequence[Demand],
    seed: bytes,
    declined: Mapping[str, str] | None = None,
) -> list[Pick]:
    """Every pick in ticket order per demand, declined ones included (marked with the reason);
    the committee is the picks with no `declined`. Raises DrawError when a specialty runs out."""
    declined = declined or {}
    ranked = sorted((ticket(seed, e.code), e) for e in pool if not e.excluded)
    taken: set[str] = set()
    picks: list[Pick] = []
    for want in demand:
        seated = 0
        for tk, entry in ranked:
            if seated == want.count:
                break
            if entry.code in taken or want.specialty not in entry.specialties:
                continue
            taken.add(entry.code)
            reason = declined.get(entry.code, "")
            picks.append(Pick(entry.code, want.specialty, tk.hex(), reason))
            if not reason:
                seated += 1
        if seated < want.count:
            raise DrawError(
                f"demand: 专业 {want.specialty} 可抽取专家不足（需要{want.count}人，仅{seated}人）"
                f" / specialty {want.specialty}: {seated} eligible of {want.count} needed"
            )
    return picks


def committee(picks: Sequence[Pick]) -> list[Pick]:
    return [p for p in picks if not p.declined]


# ---- the published document ---------------------------------------------------------------


def _field(doc: Mapping[str, Any], key: str, kind: type, path: str = "") -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise DrawError(f"{path}{key}: 缺少或类型错误 / missing or not a {kind.__name__}")
    return value


def parse_document(doc: Any) -> tuple[list[PoolEntry], list[Demand], bytes, dict[str, str]]:
    """A draw document (as published after the award) → its parts, every field checked."""
    if not isinstance(doc, dict):
        raise DrawError("document: 应为JSON对象 / must be a JSON object")
    seed_hex = _field(doc, "seed", str)
    if not re.fullmatch(r"[0-9a-f]{64}", seed_hex):
        raise DrawError("seed: 应为64位十六进制 / must be 64 lowercase hex digits")
    seed = bytes.fromhex(seed_hex)
    raw_pool = _field(doc, "pool", list)
    if len(raw_pool) > MAX_POOL:
        raise DrawError(f"pool: 超过{MAX_POOL}人 / more than {MAX_POOL} experts")
    pool: list[PoolEntry] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_pool):
        path = f"pool[{i}]."
        if not isinstance(raw, dict):
            raise DrawError(f"pool[{i}]: 应为对象 / must be an object")
        code = _field(raw, "code", str, path)
        if not CODE.fullmatch(code) or code in seen:
            raise DrawError(f"{path}code: 无效或重复 / invalid or repeated: {code!r}")
        seen.add(code)
        specialties = _field(raw, "specialties", list, path)
        if not specialties or not all(
            isinstance(s, str) and SPECIALTY.fullmatch(s) for s in specialties
        ):
            raise DrawError(f"{path}specialties: 应为专业代码列表 / must list specialty codes")
        excluded = raw.get("excluded", "")
        if not isinstance(excluded, str):
            raise DrawError(f"{path}excluded: 应为字符串 / must be a string")
        pool.append(PoolEntry(code, tuple(specialties), excluded))
    demand: list[Demand] = []
    for i, raw in enumerate(_field(doc, "demand", list)):
        path = f"demand[{i}]."
        if not isinstance(raw, dict):
            raise DrawError(f"demand[{i}]: 应为对象 / must be an object")
        specialty, count = _field(raw, "specialty", str, path), _field(raw, "count", int, path)
        if not SPECIALTY.fullmatch(specialty) or not 1 <= count <= 99:
            raise DrawError(f"{path}: 专业代码或人数无效 / invalid specialty or count")
        demand.append(Demand(specialty, count))
    if not demand:
        raise DrawError("demand: 不能为空 / must not be empty")
    declined: dict[str, str] = {}
    for i, raw in enumerate(doc.get("declined", [])):
        path = f"declined[{i}]."
        if not isinstance(raw, dict):
            raise DrawError(f"declined[{i}]: 应为对象 / must be an object")
        code, reason = _field(raw, "code", str, path), _field(raw, "reason", str, path)
        if code not in seen or not reason.strip():
            raise DrawError(f"{path}: 不在库中或缺少理由 / unknown code or no reason")
        declined[code] = reason
    expected = doc.get("pool_digest")
    if expected is not None and expected != pool_digest(pool):
        raise DrawError("pool_digest: 与专家库快照不符 / does not match the pool snapshot")
    committed = doc.get("seed_sha256")
    if committed is not None and committed != hashlib.sha256(seed).hexdigest():
        raise DrawError("seed_sha256: 与公布的种子不符 / does not match the revealed seed")
    return pool, demand, seed, declined


def rerun(doc: Any) -> dict[str, Any]:
    """What `bidhall evaluate draw` prints: the picks in order and the committee."""
    pool, demand, seed, declined = parse_document(doc)
    picks = draw(pool, demand, seed, declined)
    return {
        "pool_digest": pool_digest(pool),
        "seed_sha256": hashlib.sha256(seed).hexdigest(),
        "picks": [p.__dict__ for p in picks],
        "committee": [p.code for p in committee(picks)],
    }
