"""A lot's evaluation method and parameters are checked when the lot is registered or its draft
edited, not after the opening: each ruleset's refused method with its citation, a bad parameter
naming its key, no seed accepted anywhere; 422 problem+json (API) or the message next to the
field (workspace form), and nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bidhall.demo import demo_uscc
from tests.bidding.workspace.test_workspace_pages import field_errors, form, signed_in, written
from tests.support.clients import Client, bearer
from trading.kernel.clock import FixedClock
from trading.kernel.runtime import Runtime
from trading.rules import RULESETS

HTML = {"Accept": "text/html"}
ALL_METHODS = {"low_price", "lowest_evaluated_price", "average_deviation", "highest_price"}


def body(now: datetime, category: str, method: str, **lot: Any) -> dict[str, Any]:
    return {
        "title": "评标办法检查工程",
        "category": category,
        "method": method,
        "tenderer_uscc": demo_uscc(1),
        "lots": [
            {
                "title": "第1标段",
                "budget": "9800000.00",
                "docs_issued_at": now.isoformat(),
                "bid_deadline": (now + timedelta(days=21)).isoformat(),
                **lot,
            }
        ],
    }


# One refused method per ruleset, with the citation the refusal must name.
REFUSED = [
    ("construction", "open_tender", "highest_price", "招标投标法 第41条"),
    ("construction", "invited_tender", "highest_price", "招标投标法 第41条"),
    ("procurement", "open_tender", "average_deviation", "政府采购法实施条例 第34条"),
    ("procurement", "invited_tender", "average_deviation", "政府采购法实施条例 第34条"),
    ("procurement", "competitive_negotiation", "low_price", "政府采购法 第38条"),
    ("procurement", "inquiry", "average_deviation", "政府采购法 第38条"),
    ("procurement", "competitive_consultation", "lowest_evaluated_price", "磋商"),
    ("procurement", "single_source", "average_deviation", "政府采购法 第39条"),
    ("land", "listing", "low_price", "第20条"),
    ("land", "auction", "lowest_evaluated_price", "第20条"),
    ("property", "listing", "low_price", "企业国有资产交易监督管理办法"),
]


def test_every_ruleset_states_its_methods_with_a_citation() -> None:
    assert {(c, m) for c, m, _x, _y in REFUSED} == {
        (rs.category.value, rs.method.value) for rs in RULESETS.values()
    }
    for rs in RULESETS.values():
        allowed = rs.evaluation_methods
        assert allowed is not None and allowed.citation and allowed.methods <= ALL_METHODS
    procurement = RULESETS["procurement/open_tender"].evaluation_methods
    assert procurement is not None and "average_deviation" not in procurement.methods


@pytest.mark.parametrize(("category", "method", "evaluation", "citation"), REFUSED)
async def test_api_refuses_a_method_the_ruleset_forbids_with_its_citation(
    rt: Runtime,
    client: Client,
    clock: FixedClock,
    category: str,
    method: str,
    evaluation: str,
    citation: str,
) -> None:
    headers = await bearer(client, "staff-450100")
    before = await written(rt)
    r = await client.post(
        "/api/v1/projects",
        json=body(clock.now(), category, method, evaluation_method=evaluation),
        headers=headers,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["field"] == "lots[0].evaluation_method"
    assert citation in problem["citation"] and citation in problem["detail"]
    assert evaluation in problem["detail"]
    assert await written(rt) == before


@pytest.mark.parametrize(
    ("params", "field", "why"),
    [
        ({"price_weight": "1.5"}, "lots[0].evaluation_params.price_weight", "fraction"),
        ({"pricee_weight": "0.3"}, "lots[0].evaluation_params.pricee_weight", "unknown"),
        ({"tie_break": ["price_desc"]}, "lots[0].evaluation_params.tie_break[0]", "unknown step"),
        ({"sme_deduction": 0.1}, "lots[0].evaluation_params.sme_deduction", "float"),
        (
            {"criteria": [{"id": "t", "max_score": "-1"}]},
            "lots[0].evaluation_params.criteria[0]",
            "positive",
        ),
        ({"seed": "chosen-by-me"}, "lots[0].evaluation_params.seed", "seed"),
    ],
)
async def test_api_refuses_bad_parameters_naming_the_key(
    rt: Runtime, client: Client, clock: FixedClock, params: dict[str, Any], field: str, why: str
) -> None:
    headers = await bearer(client, "staff-450100")
    before = await written(rt)
    r = await client.post(
        "/api/v1/projects",
        json=body(clock.now(), "construction", "open_tender", evaluation_params=params),
        headers=headers,
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["field"].startswith(field), problem
    assert why in problem["detail"], problem
    assert await written(rt) == before


async def test_unknown_method_refused_and_lawful_ones_accepted(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    headers = await bearer(client, "staff-450100")
    r = await client.post(
        "/api/v1/projects",
        json=body(clock.now(), "construction", "open_tender", evaluation_method="lowest_bid"),
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["field"] == "lots[0].evaluation_method", r.text
    ok = body(
        clock.now(),
        "procurement",
        "open_tender",
        evaluation_method="low_price",
        evaluation_params={
            "price_weight": "0.30",
            "criteria": [{"id": "tech", "name": "技术", "max_score": "40"}],
            "deviation_share": "0.20",
        },
    )
    ok["lots"][0]["bid_security"] = "1000.00"
    r = await client.post("/api/v1/projects", json=ok, headers=headers)
    assert r.status_code == 201, r.text


async def test_update_draft_applies_the_same_checks(
    rt: Runtime, client: Client, clock: FixedClock
) -> None:
    headers = await bearer(client, "staff-450100")
    good = body(clock.now(), "procurement", "open_tender", evaluation_method="low_price")
    r = await client.post("/api/v1/projects", json=good, headers=headers)
    assert r.status_code == 201, r.text
    project_id = r.json()["id"]
    before = await written(rt)
    bad = body(clock.now(), "procurement", "open_tender", evaluation_method="average_deviation")
    r = await client.put(f"/api/v1/projects/{project_id}", json=bad, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "lots[0].evaluation_method"
    assert "政府采购法实施条例 第34条" in r.json()["citation"]
    seeded = body(clock.now(), "procurement", "open_tender", evaluation_params={"seed": "x"})
    r = await client.put(f"/api/v1/projects/{project_id}", json=seeded, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "lots[0].evaluation_params.seed"
    assert await written(rt) == before


async def test_workspace_form_shows_the_refusal_next_to_the_field(
    rt: Runtime, client: Client
) -> None:
    csrf = await signed_in(client, "staff-450100", "/center/projects/new")
    before = await written(rt)
    r = await client.post(
        "/center/projects/new",
        data=form(
            csrf,
            category="procurement",
            **{"lots-0-evaluation_method": "average_deviation", "lots-0-price_basis": "budget"},
        ),
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 422, r.text[-1500:]
    errors = field_errors(r.text, "lots-0-evaluation_method")
    assert errors and "政府采购法实施条例 第34条" in errors[0], errors
    r = await client.post(
        "/center/projects/new",
        data=form(csrf, **{"lots-0-evaluation_params": '{"price_weight": "2"}'}),
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 422, r.text[-1500:]
    errors = field_errors(r.text, "lots-0-evaluation_params")
    assert errors and "price_weight" in errors[0], errors
    assert await written(rt) == before
