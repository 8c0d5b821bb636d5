"""The expert pool (专家库) and the lot desk's committee tab (center workspace).

`/center/experts`: the center's pool, searched and paged; the CSV import (a file or pasted text,
all rows or none, every row error shown) and export; the draw policy. `/center/lots/{id}/
committee`: the draw form with the lawful committee size and its rule, the draw's commitment
and members, and a decline form per seated member that seats the replacement.

Each form calls the same service function as the JSON API (evaluation/experts/api.py); a
refusal re-renders the page with the message and writes nothing. Staff of the center act;
supervisors of it or above read; everyone else gets a 403.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import evaluation.experts.messages  # noqa: F401  (registers the pages' strings)
from evaluation.experts import draw as pure
from evaluation.experts import pool_csv, service
from evaluation.experts.api import MAX_CSV_BYTES
from trading.enums import Role
from trading.kernel import present
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import DomainError, Forbidden, NotFound, ValidationFailed
from trading.kernel.web import MAX_ID, check_csrf, page, requires
from trading.projects.desk import acting_lot, desk_lot

ROLES = (Role.STAFF, Role.SUPERVISOR)
PAGE_SIZE = 50
DRAW_ROWS = 4  # empty specialty rows the draw form offers (more rows come back after an error)
DONE = {"drawn", "declined"}


def _int(value: Any, default: int = 0) -> int | None:
    text = str(value or "").strip()
    if not text:
        return default
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


# ---- the pool --------------------------------------------------------------------------------


async def _pool_page(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    *,
    code: str | None = None,
    q: str = "",
    page_no: int = 1,
    status_code: int = 200,
    import_error: str = "",
    row_errors: list[dict[str, Any]] | None = None,
    pasted: str = "",
    policy_error: str = "",
) -> Template:
    desk = await service.pool_center(session, request.user, code)
    found = await service.search_pool(
        session, desk.center.id, q, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
    )
    policy = await service.get_policy(session, desk.center.id)
    params = request.query_params
    done = {k: params[k] for k in ("created", "updated") if str(params.get(k, "")).isdigit()}
    return page(
        request,
        "center/experts.html",
        status_code=status_code,
        desk=desk,
        center=desk.center,
        can_act=desk.can_act,
        q=q.strip(),
        found=found,
        page_no=page_no,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        policy=policy,
        imported=done if len(done) == 2 else None,
        policy_saved=params.get("policy") == "saved",
        import_error=import_error,
        row_errors=row_errors or [],
        pasted=pasted,
        policy_error=policy_error,
    )


@get("/center/experts", name="center_experts", guards=[requires(*ROLES)])
async def pool_page(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    center: Annotated[str | None, Parameter(max_length=6)] = None,
    q: Annotated[str, Parameter(max_length=100)] = "",
    page_no: Annotated[int, Parameter(query="page", ge=1, le=MAX_ID)] = 1,
) -> Template:
    return await _pool_page(request, db_session, code=center, q=q, page_no=page_no)


async def _acting_center(session: AsyncSession, actor: Actor) -> str:
    desk = await service.pool_center(session, actor)
    if not desk.can_act:
        raise Forbidden("监督人员只读 / supervisors read, they do not act")
    return str(desk.center.code)


@post(
    "/center/experts/import",
    guards=[requires(*ROLES)],
    status_code=200,
    request_max_body_size=MAX_CSV_BYTES + (64 << 10),
)
async def import_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock
) -> Template | Redirect:
    """The same `import_pool` as POST /api/v1/centers/{code}/experts/import: a chosen file
    wins over pasted text; any row error re-renders the page with every error, nothing kept."""
    form = await request.form()
    check_csrf(request, form)
    code = await _acting_center(db_session, request.user)
    upload = form.get("file")
    pasted = str(form.get("text") or "")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read(MAX_CSV_BYTES + 1)
            if len(raw) > MAX_CSV_BYTES:
                raise ValidationFailed(f"file: CSV 超过 {MAX_CSV_BYTES >> 20} MiB / too large")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationFailed("file: CSV 应为 UTF-8 编码 / the CSV must be UTF-8") from exc
        elif pasted.strip():
            text = pasted
        else:
            raise ValidationFailed(
                "file: 请选择 CSV 文件或粘贴内容 / choose a CSV file or paste it"
            )
        done = await pool_csv.import_pool(db_session, request.user, code, text, now=clock.now())
    except DomainError as exc:
        errors = exc.detail.get("errors") if isinstance(exc.detail, dict) else None
        return await _pool_page(
            request,
            db_session,
            status_code=exc.status,
            import_error=exc.message,
            row_errors=list(errors) if isinstance(errors, list) else [],
            pasted=pasted,
        )
    return Redirect(
        f"/center/experts?created={done['created']}&updated={done['updated']}", status_code=303
    )


@post("/center/experts/policy", guards=[requires(*ROLES)], status_code=200)
async def policy_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, clock: Clock
) -> Template | Redirect:
    """The draw policy: the same `set_policy` whoever calls it (staff of the center)."""
    form = await request.form()
    check_csrf(request, form)
    code = await _acting_center(db_session, request.user)
    days = _int(form.get("recent_days"))
    try:
        if days is None:
            raise ValidationFailed("recent_days: 应为整数天数 / a whole number of days")
        await service.set_policy(
            db_session,
            request.user,
            code,
            reach_parent=form.get("reach_parent") == "on",
            recent_days=days,
            now=clock.now(),
        )
    except DomainError as exc:
        return await _pool_page(
            request, db_session, status_code=exc.status, policy_error=exc.message
        )
    return Redirect("/center/experts?policy=saved", status_code=303)


# ---- the committee tab -----------------------------------------------------------------------


async def _committee_tab(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    settings: Settings,
    *,
    error: str = "",
    rows: list[dict[str, str]] | None = None,
    representatives: str = "0",
    decline_error: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    lot, can_act = await desk_lot(session, lot_id, request.user)
    required, rule = service.committee_rule(lot, settings)
    try:
        drawn: dict[str, Any] | None = await service.published_draw(session, request.user, lot.id)
    except NotFound:
        drawn = None
    drawable = lot.state in service.DRAWABLE
    available: list[tuple[str, int]] = []
    if can_act and drawn is None and drawable:
        counts: Counter[str] = Counter()
        for entry in await service.snapshot(session, lot):
            if not entry.excluded:
                counts.update(entry.specialties)
        available = sorted(counts.items())
    rows = list(rows or [])
    rows += [{"specialty": "", "count": ""}] * max(0, DRAW_ROWS - len(rows))
    zone = ZoneInfo(lot.project.center.timezone)

    def local(value: Any, *, seconds: bool = False) -> str:
        return present.when(value, zone, seconds=seconds)

    done = request.query_params.get("done", "")
    return page(
        request,
        "center/committee.html",
        status_code=status_code,
        lot=lot,
        project=lot.project,
        tab="committee",
        can_act=can_act,
        required=required,
        rule=rule,
        drawn=drawn,
        drawable=drawable,
        available=available,
        rows=rows,
        representatives=representatives,
        error=error,
        decline_error=decline_error,
        done=done if done in DONE else "",
        local=local,
        tz=lot.project.center.timezone,
    )


@get("/center/lots/{lot_id:int}/committee", name="desk_committee", guards=[requires(*ROLES)])
async def committee_tab(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, settings: Settings
) -> Template:
    return await _committee_tab(request, db_session, lot_id, settings)


def _demand(form: Any) -> tuple[list[pure.Demand], list[dict[str, str]]]:
    """The form's rows (blank ones skipped) as the draw's demand, and the rows as typed."""
    specialties, counts = form.getall("specialty", []), form.getall("count", [])
    typed = [
        {"specialty": str(s).strip().upper(), "count": str(c).strip()}
        for s, c in zip(specialties, counts, strict=False)
    ][:20]
    demand: list[pure.Demand] = []
    for i, row in enumerate(typed, start=1):
        if not row["specialty"] and not row["count"]:
            continue
        count = _int(row["count"], default=-1)
        if not pure.SPECIALTY.fullmatch(row["specialty"]) or count is None or not 1 <= count <= 99:
            raise ValidationFailed(
                f"第{i}行：专业代码如 A01，人数1-99 / row {i}: a specialty code such as A01 and"
                " 1-99 experts"
            )
        demand.append(pure.Demand(row["specialty"], count))
    if not demand:
        raise ValidationFailed("至少填写一个专业及人数 / at least one specialty and count")
    return demand, [r for r in typed if r["specialty"] or r["count"]]


@post("/center/lots/{lot_id:int}/committee", guards=[requires(*ROLES)], status_code=200)
async def draw_form(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
) -> Template | Redirect:
    """The same `draw_committee` as POST /api/v1/lots/{id}/committee."""
    form = await request.form()
    check_csrf(request, form)
    await acting_lot(db_session, lot_id, request.user)
    reps_text = str(form.get("representatives") or "0").strip()
    rows: list[dict[str, str]] = []
    try:
        demand, rows = _demand(form)
        reps = _int(reps_text)
        if reps is None or not 0 <= reps <= 10:
            raise ValidationFailed("招标人代表人数应为0-10 / representatives: 0 to 10")
        await service.draw_committee(
            db_session, request.user, settings, lot_id, demand, reps, now=clock.now()
        )
    except DomainError as exc:
        return await _committee_tab(
            request,
            db_session,
            lot_id,
            settings,
            error=exc.message,
            rows=rows,
            representatives=reps_text,
            status_code=exc.status,
        )
    return Redirect(f"/center/lots/{lot_id}/committee?done=drawn", status_code=303)


@post("/center/lots/{lot_id:int}/committee/declines", guards=[requires(*ROLES)], status_code=200)
async def decline_form(
    request: Request[Actor, Any, Any],
    db_session: AsyncSession,
    lot_id: int,
    clock: Clock,
    settings: Settings,
) -> Template | Redirect:
    """The same `decline` as POST /api/v1/lots/{id}/committee/declines: the reason is kept and
    the next ticket of that specialty is seated."""
    form = await request.form()
    check_csrf(request, form)
    await acting_lot(db_session, lot_id, request.user)
    code = str(form.get("code") or "").strip()
    try:
        await service.decline(
            db_session, request.user, lot_id, code, str(form.get("reason") or ""), now=clock.now()
        )
    except DomainError as exc:
        return await _committee_tab(
            request,
            db_session,
            lot_id,
            settings,
            decline_error=(code, exc.message),
            status_code=exc.status,
        )
    return Redirect(f"/center/lots/{lot_id}/committee?done=declined", status_code=303)


ROUTES = [pool_page, import_form, policy_form, committee_tab, draw_form, decline_form]
