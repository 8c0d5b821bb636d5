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
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Litestar's own API browser (/schema) loads its viewer from a CDN with inline code; it is a
# developer tool with no user data, so it keeps working without the page policy.
POLICY_EXEMPT = "/schema"


async def security_headers(message: Message, scope: Scope) -> None:
    """Litestar `before_send` hook: add the headers to the start of every HTTP response.
    A handler that set its own policy (say a stricter one) keeps it."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    path = str(scope.get("path", ""))
    exempt = path == POLICY_EXEMPT or path.startswith(POLICY_EXEMPT + "/")
    for name, value in SECURITY_HEADERS.items():
        if exempt and name == "Content-Security-Policy":
            continue
        if name not in headers:
            headers[name] = value
