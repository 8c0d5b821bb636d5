"""The expert workspace (评标室) pages: `/expert` lists the caller's committees; `/expert/lots/
{id}` is one lot's desk. Each form calls the same service function as the JSON API
(evaluation/scoring/api.py); a refused form re-renders the desk with the message, nothing
written. Anyone not seated on the lot's committee gets a 404 (a declined member a 403)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import evaluation.scoring.messages  # noqa: F401  (registers the pages' strings)
from crypto.encoding import b64u_encode
from evaluation.report import service as report
from evaluation.scoring import service, work
from trading.enums import Role
from trading.kernel.actor import Actor
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.errors import Conflict, ValidationFailed
from trading.kernel.i18n import MESSAGES, pick_lang, translator
from trading.kernel.web import check_csrf, page, requires, runtime_of

GUARD = [requires(Role.EVALUATOR)]
DONE = {"declared", "saved", "submitted", "explained", "finalised"}


def key_context(request: Request[Actor, Any, Any]) -> dict[str, Any]:
    """What the bidders' key card (templates/bidder_keys.html, static/js/keys-ui.js) needs on
    an expert's page, its wording for experts: the member signs with the same key machinery."""
    rt = runtime_of(request)
    t = translator(pick_lang(request.query_params.get("lang"), request.cookies.get("lang")))
    text = {key: t(key) for key in MESSAGES if key.startswith(("bidder.js.", "expert.js."))}
    text.update({key: t(f"expert.js.{key[10:]}") for key in EXPERT_KEY_TEXT})
    return {
        "server_now": rt.clock.now().isoformat(),
        "platform_pub": b64u_encode(rt.platform.sign_pub),
        "js_text": text,
        "key_owner": f"user:{request.user.user_id}",
    }


# The key card's bidder wording that experts read differently (expert.js.* in messages.py).
EXPERT_KEY_TEXT = ("bidder.js.key_ok", "bidder.js.key_none", "bidder.js.key_other")


@get("/expert", name="expert_home", guards=GUARD)
async def home(request: Request[Actor, Any, Any], db_session: AsyncSession) -> Template:
    rows = await service.my_committees(db_session, request.user)
    return page(request, "expert/index.html", rows=rows)


async def _desk(
    request: Request[Actor, Any, Any],
    session: AsyncSession,
    lot_id: int,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    d = await service.desk(session, request.user, lot_id)
    sheet = d.seat.sheet
    values: dict[str, str] = {}
    if sheet is not None:  # the saved sheet, as the form's field names (d.key: 暗标 letters)
        for bid_id, q in sheet.qualification.items():
            values[f"q-{d.key(bid_id)}"] = "pass" if q["pass"] else "fail"
            values[f"r-{d.key(bid_id)}"] = q["reason"]
        for bid_id, per in sheet.scores.items():
            for cid, mark in per.items():
                values[f"s-{d.key(bid_id)}-{cid}"] = mark["score"]
                values[f"c-{d.key(bid_id)}-{cid}"] = mark["comment"]
        for key, reason in sheet.deviation_reasons.items():
            bid_id, _, cid = key.partition("/")
            values[f"d-{d.key(bid_id)}/{cid}"] = reason
    values.update(form or {})
    done = request.query_params.get("done")
    return page(
        request,
        "expert/lot.html",
        status_code=status_code,
        d=d,
        s=d.seat,
        lot=d.seat.lot,
        sheet=sheet,
        values=values,
        declaration=service.DECLARATION,
        error=error,
        done=done if done in DONE else "",
        report=await report.latest_report(session, lot_id) if d.seat.final else None,
        **(key_context(request) if sheet is None else {}),
    )


@get("/expert/lots/{lot_id:int}", name="expert_lot", guards=GUARD)
async def lot_desk(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int
) -> Template:
    return await _desk(request, db_session, lot_id)


def _back(lot_id: int, done: str) -> Redirect:
    return Redirect(f"/expert/lots/{lot_id}?done={done}", status_code=303)


@post("/expert/lots/{lot_id:int}/declaration", guards=GUARD, status_code=200)
async def declare_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template | Redirect:
    form = await request.form()
    check_csrf(request, form)
    try:
        await work.declare(
            db_session, request.user, lot_id, str(form.get("declaration") or ""),
            str(form.get("signature") or ""), now=clock.now(),
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        return await _desk(request, db_session, lot_id, error=exc.message, status_code=exc.status)
    return _back(lot_id, "declared")


def _sheet(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The desk form's fields (q-BID, r-BID, s-BID-CRITERION, c-BID-CRITERION) as a sheet."""
    qualification: dict[str, Any] = {}
    scores: dict[str, Any] = {}
    for name, value in form.items():
        kind, _, rest = name.partition("-")
        if kind == "q" and value in ("pass", "fail"):
            qualification[rest] = {"pass": value == "pass", "reason": form.get(f"r-{rest}", "")}
        elif kind == "s" and "-" in rest:
            bid_id, _, cid = rest.partition("-")
            scores.setdefault(bid_id, {})[cid] = {
                "score": value.strip(),
                "comment": form.get(f"c-{rest}", ""),
            }
    return qualification, scores


@post("/expert/lots/{lot_id:int}/sheet", guards=GUARD, status_code=200)
async def sheet_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template | Redirect:
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(v) for k, v in raw.items() if k != "_csrf"}
    submit = form.pop("action", "save") == "submit"
    qualification, scores = _sheet(form)
    try:
        await work.save(
            db_session, request.user, lot_id, qualification, scores, now=clock.now(),
            submit=submit,
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        return await _desk(
            request, db_session, lot_id, error=exc.message, form=form, status_code=exc.status
        )
    return _back(lot_id, "submitted" if submit else "saved")


@post("/expert/lots/{lot_id:int}/deviations", guards=GUARD, status_code=200)
async def explain_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock
) -> Template | Redirect:
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(v) for k, v in raw.items() if k != "_csrf"}
    reasons = {k[2:]: v for k, v in form.items() if k.startswith("d-")}
    try:
        if any(len(v.strip()) < 2 for v in reasons.values()):
            raise ValidationFailed("reasons: 请写明理由 / write a reason for each deviating score")
        await work.explain(db_session, request.user, lot_id, reasons, now=clock.now())
    except (ValidationFailed, Conflict) as exc:
        return await _desk(
            request, db_session, lot_id, error=exc.message, form=form, status_code=exc.status
        )
    return _back(lot_id, "explained")


@post("/expert/lots/{lot_id:int}/finalise", guards=GUARD, status_code=200)
async def finalise_form(
    request: Request[Actor, Any, Any], db_session: AsyncSession, lot_id: int, clock: Clock,
    settings: Settings,
) -> Template | Redirect:  # fmt: skip
    form = await request.form()
    check_csrf(request, form)
    try:
        await report.finalise(db_session, request.user, lot_id, now=clock.now(), settings=settings)
    except Conflict as exc:
        return await _desk(request, db_session, lot_id, error=exc.message, status_code=exc.status)
    return Redirect(f"/expert/lots/{lot_id}/report?done=finalised", status_code=303)


ROUTES = [home, lot_desk, declare_form, sheet_form, explain_form, finalise_form]
