"""What a request may carry before any handler sees it, decided once for every route.

* A route that takes a JSON body takes it only when it is labelled JSON (else 415). Litestar
  parses the body of a ``data`` parameter as JSON whatever its Content-Type, so a body sent as
  text/plain (as a cross-site HTML form can send one without a preflight) would be accepted.
  The handler's signature decides: a ``data`` parameter with the default (JSON) encoding needs
  ``application/json`` or ``application/*+json``. Form routes (``Body(media_type=...)``) and
  streamed uploads (no ``data`` parameter, the handler reads ``request.stream()``) are left
  alone.
* No text may hold a NUL character (400): PostgreSQL cannot store one in any text column and
  fails the statement, and no legitimate name, search or answer needs it. Checked in the path,
  the query and the body of every route that decodes its body (JSON or form); streamed
  uploads are binary and untouched.
"""

from __future__ import annotations

import re

from litestar.enums import RequestEncodingType, ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractMiddleware
from litestar.params import BodyKwarg
from litestar.types import Message, Receive, Scope, Send

from trading.kernel.errors import DomainError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class NulCharacter(DomainError):
    status = 400
    code = "bad_request"

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(
            f"{zh}中不得含 NUL 字符 / the {en} may not contain NUL (U+0000) characters",
            detail={"source": en},
        )


def takes_json(handler: BaseRouteHandler) -> bool:
    """Whether the handler's ``data`` is decoded from a JSON body."""
    return body_encoding(handler) == RequestEncodingType.JSON


def body_encoding(handler: BaseRouteHandler) -> RequestEncodingType | str | None:
    """How the handler's ``data`` is decoded from the body, or None when it reads no ``data``."""
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    kwarg = field.kwarg_definition
    return kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class JsonContentTypeMiddleware(AbstractMiddleware):
    """415 problem+json for a body that is not labelled JSON, on routes that decode JSON."""

    scopes = {ScopeType.HTTP}  # noqa: RUF012

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") in BODY_METHODS and takes_json(scope["route_handler"]):
            content_type = _header(scope, b"content-type")
            if content_type is None:
                # No label and no body: Litestar answers for a missing body as it always has.
                length = _header(scope, b"content-length")
                has_body = (length or "0").strip() != "0" or _header(scope, b"transfer-encoding")
                if has_body:
                    raise UnsupportedMediaType(
                        "请求体须为 JSON（Content-Type: application/json） / "
                        "the body must be sent as Content-Type: application/json"
                    )
            elif not is_json(content_type):
                raise UnsupportedMediaType(
                    f"不支持的内容类型 {content_type[:100]}，请求体须为 JSON / unsupported "
                    f"Content-Type {content_type[:100]}: send the body as application/json"
                )
        await self.app(scope, receive, send)


# A NUL in a body as each encoding writes it: JSON escapes it (an escaped backslash before
# "u0000" is text, so the backslashes before it must be odd in number); a form encodes it.
_NUL_IN = {
    RequestEncodingType.JSON: re.compile(rb"(?<!\\)(?:\\\\)*\\u0000"),
    RequestEncodingType.URL_ENCODED: re.compile(rb"%00|\x00"),
}
_CARRY = 16  # bytes kept from one body chunk to the next, so a split escape is still seen


class NoNulMiddleware(AbstractMiddleware):
    """400 problem+json for a NUL character in the path, the query or a decoded body."""

    scopes = {ScopeType.HTTP}  # noqa: RUF012

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "\x00" in scope["path"]:
            raise NulCharacter("路径", "path")
        if b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
            raise NulCharacter("查询参数", "query")
        pattern = _NUL_IN.get(body_encoding(scope["route_handler"]))  # type: ignore[call-overload]
        if pattern is None:
            await self.app(scope, receive, send)
            return
        carried = b""

        async def checked() -> Message:
            # Checked as the handler reads the body: nothing is buffered twice.
            nonlocal carried
            message = await receive()
            if message["type"] == "http.request":
                seen = carried + message.get("body", b"")
                if pattern.search(seen):
                    raise NulCharacter("请求体", "body")
                carried = seen[-_CARRY:]
            return message

        await self.app(scope, checked, send)
