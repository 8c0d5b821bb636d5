"""The API browser at /schema, served from our own files (static/vendor/swagger-ui): it works
offline and under the strict Content-Security-Policy.

Litestar's render plugins put the UI's start-up code and the whole schema inline and fetch
the viewer (and, for ReDoc, Google fonts) from CDNs. This page carries no inline code: the
vendored Swagger UI bundle, then our module static/js/schema.js, which starts it on
/schema/openapi.json. The only thing the site's policy forbids that Swagger UI needs is
``data:`` images (its style sheet's icons), allowed on /schema alone (trading/kernel/csp.py).
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import SwaggerRenderPlugin

VENDOR = "/static/vendor/swagger-ui"
SCRIPT = "/static/js/schema.js"


class LocalSwaggerPlugin(SwaggerRenderPlugin):
    """Swagger UI at /schema (and /schema/swagger) from static/vendor, no inline script."""

    def __init__(self) -> None:
        super().__init__(
            js_url=f"{VENDOR}/swagger-ui-bundle.js",
            css_url=f"{VENDOR}/swagger-ui.css",
            # The standalone preset (top bar with a URL box) is not used: no CDN default either.
            standalone_preset_js_url=f"{VENDOR}/swagger-ui-bundle.js",
            path=["/", "/swagger"],
            favicon="",
        )

    def receive_router(self, router: Router) -> None:
        """No OAuth2 redirect page: the API uses bearer tokens, and that page is inline code."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="stylesheet" href="{self.css_url}">
</head>
<body>
<div id="swagger-container" data-spec="{spec}"></div>
<script src="{self.js_url}"></script>
<script type="module" src="{SCRIPT}"></script>
</body>
</html>
""".encode()
