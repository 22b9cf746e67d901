"""Errors that services raise; one handler in `app.py` turns them into `{code, message}` JSON or an HTML page.

    PinhavenError                 base: status + message
    ├── InvalidInput (400)        a parameter or body field is wrong; names the field
    │   └── InvalidUpload (400)   a file is not an acceptable image (why is in the message)
    ├── Unauthorized (401)        no or bad credentials
    ├── Forbidden (403)           credentials lack a scope, or the user may see but not change the object
    ├── NotFound (404)            missing, or invisible to the caller (never 403, so existence does not leak)
    ├── Conflict (409)            the write collides with existing state (duplicate board name, ...)
    ├── PayloadTooLarge (413)     body or upload over its limit
    ├── RateLimited (429)         too many requests; retry later
    └── ServiceUnavailable (503)  a configured part is missing on this machine (e.g. model weights)

Services never raise HTTPException.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "InvalidUpload",
    "NotFound",
    "PayloadTooLarge",
    "PinhavenError",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
]


class PinhavenError(Exception):
    """Base class: an HTTP status and a message meant for the caller."""

    status: int = 500
    code: int | None = None  # Pinterest-style error code; defaults to the status

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def error_code(self) -> int:
        return self.code if self.code is not None else self.status


class InvalidInput(PinhavenError):
    """Raised when a parameter or body field is invalid."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class InvalidUpload(InvalidInput):
    """Raised when an uploaded or fetched file is not an image Pinhaven accepts."""


class Unauthorized(PinhavenError):
    """Raised when credentials are missing, malformed, unknown or revoked."""

    status = 401


class Forbidden(PinhavenError):
    """Raised when the caller is known but not allowed (missing scope, read-only access)."""

    status = 403
    code = 29


class NotFound(PinhavenError):
    """Raised for missing objects and for objects the caller may not see."""

    status = 404


class Conflict(PinhavenError):
    """Raised when a write collides with existing state."""

    status = 409


class PayloadTooLarge(PinhavenError):
    """Raised when a body or upload is over its configured limit."""

    status = 413


class RateLimited(PinhavenError):
    """Raised when a caller exceeds a rate limit."""

    status = 429
    code = 8


class ServiceUnavailable(PinhavenError):
    """Raised when a configured component cannot run here (e.g. model weights not fetched); an operator fixes it."""

    status = 503
