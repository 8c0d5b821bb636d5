"""Litestar dependencies: what a handler needs, declared by name in its signature and
registered once in the app factory (handlers never look the runtime up themselves)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from crypto.keys import Identity
from evaluation.methods import Criterion, EvaluationError, as_decimal, check_params
from evaluation.scoring.service import SCORING_KEYS
from trading.centers.scope import CenterScope, visible_centers
from trading.kernel.actor import Actor
from trading.kernel.blobs import LocalBlobStore
from trading.kernel.clock import Clock
from trading.kernel.config import Settings
from trading.kernel.runtime import Context, Runtime
from trading.rules.methods import MethodCheck


def provide_rt(state: State) -> Runtime:
    return state.rt  # type: ignore[no-any-return]


def provide_settings(rt: Runtime) -> Settings:
    return rt.settings


def provide_clock(rt: Runtime) -> Clock:
    return rt.clock


def provide_blobs(rt: Runtime) -> LocalBlobStore:
    return rt.blobs


def provide_platform(rt: Runtime) -> Identity:
    return rt.platform


def provide_ctx(rt: Runtime) -> Context:
    """The clock read once per request, with the stores a service needs."""
    return rt.context()


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return request.user  # type: ignore[no-any-return]


async def provide_center_scope(db_session: AsyncSession, actor: Actor) -> CenterScope:
    """What the actor may see in which center (`scope` itself is Litestar's ASGI scope)."""
    return await visible_centers(db_session, actor)


def check_lot_evaluation(method: str, params: Mapping[str, Any]) -> None:
    """A lot's evaluation method and parameters as evaluation reads them: the method's
    parameters (evaluation.methods) and the committee's criteria and deviation share
    (evaluation.scoring). Raises InputError naming the key."""
    check_params(method, params, other_keys=SCORING_KEYS)
    raw = params.get("criteria", [])
    if not isinstance(raw, list):
        raise EvaluationError("criteria", "must be a list of {id, name, max_score}")
    for i, c in enumerate(raw):
        if not isinstance(c, Mapping) or "id" not in c or "max_score" not in c:
            raise EvaluationError(f"criteria[{i}]", "needs id and max_score")
        try:
            Criterion(
                c["id"], str(c.get("name", c["id"])), as_decimal(c["max_score"], "", strings=True)
            )
        except EvaluationError as exc:
            raise EvaluationError(f"criteria[{i}].{exc.path or 'max_score'}", exc.reason) from exc
    if "deviation_share" in params:
        share = as_decimal(params["deviation_share"], "deviation_share", strings=True)
        if not 0 < share <= 1:
            raise EvaluationError("deviation_share", "must be a fraction in (0, 1]")


def provide_method_check() -> MethodCheck:
    """Evaluation's check of a lot's method and parameters, for the registration services in
    trading (which may not import evaluation: this composition root joins the two)."""
    return _METHOD_CHECK


_METHOD_CHECK = MethodCheck(check_lot_evaluation)


DEPENDENCIES: dict[str, Provide] = {
    "method_check": Provide(provide_method_check, sync_to_thread=False),
    "rt": Provide(provide_rt, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "blobs": Provide(provide_blobs, sync_to_thread=False),
    "platform": Provide(provide_platform, sync_to_thread=False),
    "ctx": Provide(provide_ctx, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "center_scope": Provide(provide_center_scope),
}
