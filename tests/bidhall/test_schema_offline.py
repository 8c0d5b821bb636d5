"""/schema works with no internet: the API browser (Swagger UI) comes from static/vendor, the
page names nothing off-site, and in Chromium with every request beyond 127.0.0.1 aborted it
renders the API's title and operations, under the strict policy (the browser fixture fails
the test on any CSP violation)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Route

from tests.support.clients import Client

STATIC = Path(__file__).resolve().parents[2] / "static"
OFFSITE = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")
WAIT_MS = 30_000


async def test_schema_page_names_only_local_assets(client: Client) -> None:
    r = await client.get("/schema", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not OFFSITE.search(r.text), r.text
    assert "<script>" not in r.text and "<style" not in r.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
        assert (STATIC / asset.removeprefix("/static/")).is_file(), asset
        served = await client.get(asset)
        assert served.status_code == 200, asset
    # The vendored UI ships with its license and fetches no fonts itself.
    vendor = STATIC / "vendor" / "swagger-ui"
    assert (vendor / "LICENSE").is_file()
    css = (vendor / "swagger-ui.css").read_text("utf-8")
    assert "@import" not in css and "fonts.googleapis" not in css and "url(http" not in css


async def test_schema_renders_with_the_network_blocked(browser: Browser, live_server: str) -> None:
    page = await browser.new_page()
    blocked: list[str] = []

    async def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            await route.continue_()
        else:
            blocked.append(url)
            await route.abort()

    await page.route("**/*", only_local)
    # Swagger UI (5.x) renders only the operations near the viewport (a virtual list): a deep
    # link to a tag far down the list brings that tag's operations in.
    await page.goto(live_server + "/schema#/projects")
    await page.locator(".swagger-ui .info .title").wait_for(timeout=WAIT_MS)
    assert "bidhall" in await page.locator(".swagger-ui .info .title").inner_text()
    operations = page.locator(".opblock-summary-path")
    await operations.filter(has_text="/api/v1/projects").first.wait_for(timeout=WAIT_MS)
    paths = await operations.all_inner_texts()
    assert any("/api/v1/projects" in p for p in paths), paths[:5]
    spec = await (await page.request.get(live_server + "/schema/openapi.json")).json()
    assert len(spec["paths"]) > 100
    # Opening one operation works offline too (its parameters and responses render).
    await page.locator(".opblock-summary").first.click()
    await page.locator(".opblock-body").first.wait_for(timeout=WAIT_MS)
    assert blocked == [], blocked
