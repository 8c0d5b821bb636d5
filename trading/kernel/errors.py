"""Domain errors; the web layer maps each to an HTTP status with a problem body."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, detail: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    """Illegal state transition or a write after the deadline."""

    status = 409
    code = "conflict"


class RuleViolation(DomainError):
    """A ruleset refuses the request; the message cites the rule."""

    status = 422
    code = "rule_violation"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
