"""Error pages a center would publish: a browser gets a Chinese page (English on request) with
the status's own title and text and a way home (and back, when it came from this site);
scripts and the JSON API keep problem+json, unknown API paths included."""

from __future__ import annotations

import re

from tests.bidding.hall.conftest import web_login
from tests.support.clients import Client
from trading.kernel.web import PROBLEM_JSON

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def links(html: str) -> set[str]:
    return set(re.findall(r'<a [^>]*href="([^"]+)"', html))


async def test_unknown_page_is_a_chinese_404_with_a_way_home(client: Client) -> None:
    r = await client.get("/no/such/page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "页面不存在" in r.text and "返回首页" in r.text
    assert 'id="error-home"' in r.text and 'href="/"' in r.text
    assert "Not Found" not in r.text and "Something went wrong" not in r.text
    # The strict policy holds on error pages too.
    assert "script-src 'self'" in r.headers["content-security-policy"]


async def test_404_in_english_on_request(client: Client) -> None:
    r = await client.get("/no/such/page?lang=en", headers=HTML)
    assert r.status_code == 404
    assert "Page not found" in r.text and "Home page" in r.text and "页面不存在" not in r.text
    # The choice sticks (cookie) for the next error page.
    again = await client.get("/still/nothing", headers=HTML)
    assert "Page not found" in again.text


async def test_a_missing_record_shows_our_reason_in_the_readers_language(client: Client) -> None:
    r = await client.get("/lots/999999", headers=HTML)
    assert r.status_code == 404
    assert "页面不存在" in r.text
    assert "/ " not in re.sub(r"<[^>]+>", "", r.text).split("页面不存在", 1)[1].split("返回")[0]


async def test_way_back_only_to_this_site(client: Client) -> None:
    base = str(client.base_url).rstrip("/")
    here = await client.get("/nothing", headers={**HTML, "Referer": base + "/stats?year=2026"})
    assert 'id="error-back"' in here.text and "/stats?year=2026" in links(here.text)
    away = await client.get("/nothing", headers={**HTML, "Referer": "https://evil.example/x"})
    assert 'id="error-back"' not in away.text
    assert not any("evil" in link for link in links(away.text))


async def test_api_and_scripts_keep_problem_json(client: Client) -> None:
    for path, headers in (
        ("/api/v1/no-such-route", HTML),  # under /api/ even a browser gets JSON
        ("/api/v1/lots/999999", HTML),
        ("/no/such/page", {"Accept": "application/json"}),
        ("/no/such/page", {}),
    ):
        r = await client.get(path, headers=headers)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith(PROBLEM_JSON), path
        assert r.json()["status"] == 404


async def test_forbidden_page_offers_another_account(client: Client) -> None:
    await web_login(client, "bidder-1")
    r = await client.get("/custodian", headers=HTML)
    assert r.status_code == 403
    assert "无权访问" in r.text and "换一个账号登录" in r.text
    assert "/login?next=/custodian" in links(r.text)
    assert 'href="/"' in r.text
