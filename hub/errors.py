"""The hub's error hierarchy: each error knows its HTTP status, a stable code (hub/api/codes.py)
and how long a client should wait before trying again, if it should.

Messages tell the caller what to fix. One middleware (hub/web/middleware.py ``errors``) turns
these into ``{"error": {"code", "message"}}`` with the error's headers; anything else becomes
a 500 that reveals nothing.
"""

from __future__ import annotations

from hub.api.codes import Codes


class HubError(Exception):
    status = 400
    code = Codes.BAD_REQUEST
    retry_after: int | None = None  # seconds a client should wait before trying again

    def __init__(self, message: str, *, code: Codes | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    @property
    def headers(self) -> dict[str, str]:
        """What the answer carries beside its body: Retry-After, when there is a wait."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class BadRequest(HubError):
    status, code = 400, Codes.BAD_REQUEST


class Unauthorized(HubError):
    status, code = 401, Codes.UNAUTHORIZED


class Forbidden(HubError):
    status, code = 403, Codes.FORBIDDEN


class NotFound(HubError):
    status, code = 404, Codes.NOT_FOUND


class Gone(HubError):
    status, code = 410, Codes.GONE


class Conflict(HubError):
    status, code = 409, Codes.CONFLICT


class PayloadTooLarge(HubError):
    status, code = 413, Codes.PAYLOAD_TOO_LARGE


class Unprocessable(HubError):
    status, code = 422, Codes.UNPROCESSABLE


class TooManyRequests(HubError):
    status, code = 429, Codes.RATE_LIMITED

    def __init__(self, message: str, *, code: Codes | None = None, retry_after: int = 300):
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class Unavailable(HubError):
    """Try again later: no sooner than ``retry_after`` seconds (callers pass what the hub
    waits for Redis, Settings.unavailable_retry_after)."""

    status, code = 503, Codes.UNAVAILABLE

    def __init__(self, message: str, *, code: Codes | None = None, retry_after: int = 1):
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class ConfigError(Exception):
    """A configuration file is wrong; names the file and the key (Synapse's ConfigError)."""

    def __init__(self, message: str, *, path: str, key: str | None = None):
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.key = key
