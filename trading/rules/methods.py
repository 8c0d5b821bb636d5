"""A lot's evaluation method, checked when the lot is registered (not after the opening).

Two checks, one dependency direction (bidhall → evaluation → bidding → trading):

* which method names a ruleset allows, with the citation, is data of the rules engine
  (`Ruleset.evaluation_methods`, rulesets.py) and checked here;
* whether the name exists and its parameters parse (`get_method`, `Params.from_dict`) is
  evaluation's knowledge, which trading may not import. The composition root hands it in
  as a `MethodCheck` (bidhall/deps.py provides one built on evaluation.methods.check_params);
  the projects API and the workspace pages receive it by dependency injection and pass it
  to the service. The check raises `InputError(path, reason)` (trading.kernel.money), so
  trading reads its answer without knowing evaluation.

The tie-break seed is never a parameter: the platform derives it from the signed opening
record (evaluation.methods.ties.seed_from_record), so nobody can choose it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trading.kernel.money import InputError
from trading.rules.base import Ruleset
from trading.rules.engine import PLATFORM_CITATION, Violation

__all__ = ["FORBIDDEN_PARAMS", "MethodCheck", "MethodProblem", "ParamsCheck", "method_problem"]

# (method name, parameters) → None, or InputError("method" | "<param key>", reason).
ParamsCheck = Callable[[str, Mapping[str, Any]], None]

# Parameters the platform sets itself, never the tender documents.
FORBIDDEN_PARAMS = frozenset({"seed"})


@dataclass(frozen=True, slots=True)
class MethodCheck:
    """Evaluation's validator of a method name and its parameters, passed in by bidhall."""

    params: ParamsCheck


@dataclass(frozen=True, slots=True)
class MethodProblem:
    """Why a lot's method or parameters are refused; `field` is relative to the lot
    (`evaluation_method`, `evaluation_params.price_weight`)."""

    field: str
    violation: Violation


def _refusal(field: str, rule_id: str, citation: str, zh: str, en: str) -> MethodProblem:
    return MethodProblem(field, Violation(rule_id, citation, zh, en))


def method_problem(
    method: str,
    params: Mapping[str, Any],
    ruleset: Ruleset | None,
    check: MethodCheck | None,
) -> MethodProblem | None:
    """The first problem with a lot's method and parameters, or None when they are lawful.

    `ruleset` None (no ruleset for the category + procurement method: publishing refuses
    that) skips the allowlist; `check` None skips the parameter parsing.
    """
    allowed = ruleset.evaluation_methods if ruleset is not None else None
    if ruleset is not None and allowed is not None and method not in allowed.methods:
        names = ", ".join(sorted(allowed.methods))
        return _refusal(
            "evaluation_method",
            "evaluation_methods",
            allowed.citation,
            f"{ruleset.name_zh}不得采用评标办法 {method}（可用：{names}）：{allowed.text_zh}",
            f"{ruleset.name_en} may not use the evaluation method {method!r} "
            f"(allowed: {names}): {allowed.text_en}",
        )
    for key in sorted(FORBIDDEN_PARAMS & set(params)):
        return _refusal(
            f"evaluation_params.{key}",
            "platform_seed",
            PLATFORM_CITATION,
            "随机抽签种子由平台从签名开标记录推导，不得预先指定",
            "the tie-break seed is derived from the signed opening record and cannot be chosen",
        )
    if check is None:
        return None
    try:
        check.params(method, params)
    except InputError as exc:
        field = "evaluation_method" if exc.path == "method" else f"evaluation_params.{exc.path}"
        return _refusal(
            field,
            "evaluation_params",
            PLATFORM_CITATION,
            f"评标办法或参数 {exc.path} 无效：{exc.reason}",
            f"invalid evaluation method or parameter {exc.path}: {exc.reason}",
        )
    return None
