"""Security headers on every response: a strict Content-Security-Policy, nosniff, a
same-origin referrer.

The pages run only our own ES modules and style sheets (static/js, static/css), so the
policy allows nothing inline: an injected `<script>` or `style=""` is refused by the
browser even if a template ever echoes attacker text. It is installed as a `before_send`
hook rather than a route middleware because Litestar's route middleware never sees an
unknown path's 404 or an error raised by another middleware; this hook sees every
response the app sends, pages, JSON, static files and downloads alike (a downloaded
document that a browser might render gets the same policy).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# connect-src 'self' covers fetch() to /api and the hall's EventSource; form-action 'self'
# keeps a form from being retargeted; base-uri 'none' stops <base> from redirecting the
# relative module URLs; frame-ancestors 'none' refuses clickjacking frames.
DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)
CONTENT_SECURITY_POLICY = "; ".join(DIRECTIVES)
# The API browser (/schema, Swagger UI from static/vendor, trading/kernel/apidocs.py) runs
# under the same policy with one addition: its style sheet draws its icons as data: images.
# Still no inline or remote script, no remote style, font or connection.
SCHEMA_POLICY = "; ".join((*DIRECTIVES, "img-src 'self' data:"))
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SCHEMA_PATH = "/schema"


def policy_for(path: str) -> str:
    if path == SCHEMA_PATH or path.startswith(SCHEMA_PATH + "/"):
        return SCHEMA_POLICY
    return CONTENT_SECURITY_POLICY


async def security_headers(message: Message, scope: Scope) -> None:
    """Litestar `before_send` hook: add the headers to the start of every HTTP response.
    A handler that set its own policy (say a stricter one) keeps it."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    policy = policy_for(str(scope.get("path", "")))
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = policy if name == "Content-Security-Policy" else value
