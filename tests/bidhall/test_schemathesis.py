"""Attack: the whole API fuzzed from its own OpenAPI document (schemathesis, in-process ASGI).

Anonymous, as center staff and as a bidder; data that fits the schema and data that does not.
No request may get a 5xx, and every 4xx must be a problem+json body. The run is bounded
(a fixed number of examples per operation, identity and mode) and derandomized, so it is the
same run every time: a failure names the request as a curl command to replay.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from schemathesis import Config, GenerationMode

from bidhall.app import create_app
from bidhall.demo.accounts import demo_user
from trading.auth.service import issue_api_token
from trading.kernel.runtime import Runtime

EXAMPLES = 4  # per operation, identity and generation mode
PROBLEM_FIELDS = ("type", "title", "status", "detail")


@pytest.fixture
async def app(rt: Runtime) -> AsyncIterator[Litestar]:
    """The app on its own engine: schemathesis serves it from its own event loop."""
    app_rt = Runtime.build(rt.settings, rt.clock)
    try:
        yield create_app(app_rt.settings, runtime=app_rt)
    finally:
        await app_rt.engine.dispose()


@pytest.fixture
async def identities(rt: Runtime, publish_lot: Any) -> dict[str, dict[str, str]]:
    """Who asks, as request headers; an announced lot gives generated ids something to find."""
    await publish_lot()
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for username in ("staff-450100", "bidder-1"):
        user = await demo_user(rt, username)
        async with rt.sessionmaker() as session:
            token = await issue_api_token(session, user, now=rt.clock.now(), name="fuzz")
        headers[username] = {"Authorization": f"Bearer {token}"}
    return headers


def problem_of(path: str, response: Any) -> str | None:
    """Why a 4xx body is not problem+json, or None when it is. A page (outside /api/) may
    answer a browser's form with the page itself, in HTML, instead."""
    content_type = ",".join(response.headers.get("content-type", []))  # lowercase keys, lists
    if not path.startswith("/api/") and content_type.startswith("text/html"):
        return None
    if not content_type.startswith("application/problem+json"):
        return f"content-type {content_type!r}"
    try:
        body = response.json()
    except ValueError:
        return "body is not JSON"
    missing = [f for f in PROBLEM_FIELDS if not isinstance(body, dict) or f not in body]
    if missing:
        return f"missing {missing}"
    if body["status"] != response.status_code:
        return f"status {body['status']} in a {response.status_code} response"
    return None


def fuzz(strategy: Any, who: str, headers: dict[str, str], failures: list[str]) -> int:
    """Send EXAMPLES generated requests as `who`; record every bad response. Returns the count."""
    calls = 0

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: every failure is recorded as is
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        response = case.call(headers=headers)
        status = response.status_code
        path = case.formatted_path
        why = "server error" if status >= 500 else None
        if 400 <= status < 500:
            why = problem_of(path, response)
        if why is not None:
            failures.append(
                f"{who} {case.method} {case.operation.path} -> {status} ({why}): "
                f"{response.text[:200]}\n  {case.as_curl_command(headers=headers)}"
            )

    # Negative mode is unsatisfiable for an operation with nothing to get wrong.
    with contextlib.suppress(Unsatisfiable):
        run()
    return calls


def test_no_input_gets_a_5xx_and_every_4xx_is_a_problem(
    app: Litestar, identities: dict[str, dict[str, str]]
) -> None:
    # The hall's event stream stays open: its first event (the snapshot) is enough here.
    config = Config.from_dict({"max-stream-events": 1})
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            for who, headers in identities.items():
                calls += fuzz(strategy, who, headers, failures)
    assert calls > 300  # every operation ran, with each identity and mode
    kinds = sorted({f.partition(": ")[0] for f in failures})
    assert not failures, "\n".join([f"{len(failures)} bad responses:", *kinds, "", *failures[:20]])
