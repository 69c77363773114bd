"""The hub's error hierarchy: each error knows its HTTP status and a stable code.

Messages tell the caller what to fix. One middleware (hub/web/errors.py) turns these into
``{"error": {"code", "message"}}``; anything else becomes a 500 that reveals nothing.
"""

from __future__ import annotations


class HubError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadRequest(HubError):
    status, code = 400, "bad_request"


class Unauthorized(HubError):
    status, code = 401, "unauthorized"


class Forbidden(HubError):
    status, code = 403, "forbidden"


class NotFound(HubError):
    status, code = 404, "not_found"


class Gone(HubError):
    status, code = 410, "gone"


class Conflict(HubError):
    status, code = 409, "conflict"


class PayloadTooLarge(HubError):
    status, code = 413, "payload_too_large"


class Unprocessable(HubError):
    status, code = 422, "unprocessable"


class TooManyRequests(HubError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 300):
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)  # seconds, for Retry-After


class Unavailable(HubError):
    status, code = 503, "unavailable"


class ConfigError(Exception):
    """A configuration file is wrong; names the file and the key (Synapse's ConfigError)."""

    def __init__(self, message: str, *, path: str, key: str | None = None):
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.key = key
