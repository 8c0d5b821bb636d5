"""The expert pool as CSV: import with per-row errors (line, field, why; nothing imported when
any row fails) and export in the same columns, so an export imports back unchanged."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.experts import draw as pure
from evaluation.experts.models import Expert
from evaluation.experts.service import center_by_code, staff_of
from trading.audit import service as audit
from trading.auth.models import User
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.codes import CodeError, validate_uscc
from trading.kernel.db import writing
from trading.kernel.errors import ValidationFailed

COLUMNS = (
    "code", "name", "username", "specialties", "region", "employer", "employer_uscc", "phone",
    "active", "avoid_usccs",
)  # fmt: skip
MAX_ROWS = 20_000
YES = {"1", "true", "yes", "是", "y"}
NO = {"0", "false", "no", "否", "n"}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
REGION = re.compile(r"\d{6}")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    why: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "why": self.why}


def _split(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;；]", value) if v.strip()]


def _parse_row(line: int, row: dict[str, str], errors: list[RowError]) -> dict[str, Any]:
    def bad(field: str, why: str) -> None:
        errors.append(RowError(line, field, why))

    out: dict[str, Any] = {k: (row.get(k) or "").strip() for k in COLUMNS}
    if not pure.CODE.fullmatch(out["code"]):
        bad("code", "专家编号应为大写字母、数字和-，至多32位 / A-Z, 0-9 and -, up to 32")
    if not 1 <= len(out["name"]) <= 60:
        bad("name", "姓名不能为空，至多60字 / required, up to 60 characters")
    if not USERNAME.fullmatch(out["username"]):
        bad("username", "用户名为3-64位小写字母、数字、._- / 3-64 of a-z 0-9 . _ -")
    out["specialties"] = _split(out["specialties"])
    if not out["specialties"] or not all(pure.SPECIALTY.fullmatch(s) for s in out["specialties"]):
        bad("specialties", "应为以;分隔的专业代码，如 A01;B02 / specialty codes, e.g. A01;B02")
    if not REGION.fullmatch(out["region"]):
        bad("region", "应为6位行政区划代码 / a 6-digit division code")
    if not 1 <= len(out["employer"]) <= 200:
        bad("employer", "工作单位不能为空 / required")
    usccs = []
    for field, values in (("employer_uscc", [out["employer_uscc"]] if out["employer_uscc"] else []),
                          ("avoid_usccs", _split(out["avoid_usccs"]))):  # fmt: skip
        for value in values:
            try:
                usccs.append((field, validate_uscc(value)))
            except CodeError as exc:
                bad(field, f"统一社会信用代码无效 / invalid USCC: {exc}")
    out["employer_uscc"] = next((v for f, v in usccs if f == "employer_uscc"), "")
    out["avoid_usccs"] = sorted({v for f, v in usccs if f == "avoid_usccs"})
    if len(out["phone"]) > 40:
        bad("phone", "至多40字 / up to 40 characters")
    active = out["active"].lower() or "1"
    if active not in YES | NO:
        bad("active", "应为 是/否 或 1/0 / yes or no")
    out["active"] = active in YES
    return out


def parse_pool_csv(text: str) -> list[dict[str, Any]]:
    """Every row checked before anything is written: all errors at once (line, field, why)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("code", "name", "username", "specialties", "region", "employer")
               if c not in (reader.fieldnames or [])]  # fmt: skip
    if missing:
        raise ValidationFailed(
            f"CSV 缺少列 / missing columns: {', '.join(missing)}",
            detail={"errors": [RowError(1, c, "missing column").as_json() for c in missing]},
        )
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(f"CSV 超过 {MAX_ROWS} 行 / more than {MAX_ROWS} rows")
        if None in row:  # more cells than columns
            errors.append(RowError(line, "-", "列数多于表头 / more cells than the header"))
        parsed = _parse_row(line, row, errors)
        for key in ("code", "username"):
            first = seen.setdefault(f"{key}:{parsed[key]}", line)
            if first != line:
                errors.append(RowError(line, key, f"与第{first}行重复 / repeats line {first}"))
        rows.append(parsed)
    if errors:
        raise ValidationFailed(
            f"专家导入失败：{len(errors)}处错误，未导入任何记录 / {len(errors)} errors, nothing"
            " imported",
            detail={"errors": [e.as_json() for e in errors]},
        )
    return rows


async def import_pool(
    session: AsyncSession, actor: Actor, center_code: str, text: str, *, now: datetime
) -> dict[str, int]:
    """Add or update a center's experts from CSV, all rows or none. A new expert gets an
    evaluator account with no usable password (set at activation); an existing code is
    updated in place, and must belong to this center."""
    # Who may import is decided before the body is read: a stranger learns nothing of it.
    center = await center_by_code(session, center_code)
    staff_of(actor, center.id)
    rows = parse_pool_csv(text)
    created = updated = 0
    async with writing(session):
        codes = [r["code"] for r in rows]
        existing = {
            e.code: e for e in await session.scalars(select(Expert).where(Expert.code.in_(codes)))
        }
        users = {
            u.username: u
            for u in await session.scalars(
                select(User).where(User.username.in_([r["username"] for r in rows]))
            )
        }
        errors: list[RowError] = []
        for line, row in enumerate(rows, start=2):
            expert = existing.get(row["code"])
            if expert is not None and expert.center_id != center.id:
                errors.append(RowError(line, "code", "属于其他中心的专家库 / another center's"))
            user = users.get(row["username"])
            if user is not None and (expert is None or expert.user_id != user.id):
                errors.append(RowError(line, "username", "用户名已被占用 / already taken"))
        if errors:
            raise ValidationFailed(
                f"专家导入失败：{len(errors)}处错误，未导入任何记录 / {len(errors)} errors,"
                " nothing imported",
                detail={"errors": [e.as_json() for e in errors]},
            )
        for row in rows:
            fields = {
                "name": row["name"],
                "specialties": row["specialties"],
                "region_code": row["region"],
                "employer": row["employer"],
                "employer_uscc": row["employer_uscc"],
                "phone": row["phone"],
                "active": row["active"],
                "avoid_usccs": row["avoid_usccs"],
                "updated_at": now,
            }
            expert = existing.get(row["code"])
            if expert is None:
                user = User(
                    username=row["username"],
                    display_name=row["name"],
                    password_hash="!",  # no password matches until the expert activates
                    roles=[Role.EVALUATOR.value],
                    center_id=center.id,
                    created_at=now,
                )
                session.add(user)
                await session.flush()
                session.add(
                    Expert(
                        code=row["code"], user_id=user.id, center_id=center.id, created_at=now,
                        **fields,
                    )
                )  # fmt: skip
                created += 1
            else:
                for key, value in fields.items():
                    setattr(expert, key, value)
                updated += 1
        await audit.append(
            session, actor, "experts.import", "center", center.code, at=now,
            center_id=center.id, detail={"created": created, "updated": updated},
        )  # fmt: skip
    return {"created": created, "updated": updated}


async def export_pool(session: AsyncSession, actor: Actor, center_code: str) -> str:
    """The center's pool in the import's own format (a round trip changes nothing)."""
    center = await center_by_code(session, center_code)
    staff_of(actor, center.id)
    rows = await session.execute(
        select(Expert, User.username)
        .join(User, User.id == Expert.user_id)
        .where(Expert.center_id == center.id)
        .order_by(Expert.code)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for expert, username in rows.all():
        writer.writerow(
            [
                expert.code, expert.name, username, ";".join(expert.specialties),
                expert.region_code, expert.employer, expert.employer_uscc, expert.phone,
                "1" if expert.active else "0", ";".join(expert.avoid_usccs),
            ]
        )  # fmt: skip
    return out.getvalue()
