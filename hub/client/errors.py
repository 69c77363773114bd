"""The hub's refusals as typed exceptions: each carries the HTTP status, the hub's error
code and its message (which says what to fix)."""

from __future__ import annotations


class HubApiError(Exception):
    """The hub refused a request, or could not be reached."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{message} ({code})")
        self.status = status
        self.code = code
        self.message = message


class BadRequest(HubApiError):
    """400 or 422: the request was malformed or does not make sense; fix it."""


class Unauthorized(HubApiError):
    """401: no valid token."""


class Forbidden(HubApiError):
    """403: your role, agency, consent or sharing agreement does not allow this."""


class NotFound(HubApiError):
    """404: no such referral that you can see."""


class Conflict(HubApiError):
    """409: the referral is not in a state that allows this, or the id is taken."""


class RateLimited(HubApiError):
    """429: too many failed sign-ins."""


class Unavailable(HubApiError):
    """503, or the hub could not be reached: retry later."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
              409: Conflict, 413: BadRequest, 422: BadRequest, 429: RateLimited,
              503: Unavailable}


def error_for(status: int, code: str, message: str) -> HubApiError:
    return _BY_STATUS.get(status, HubApiError)(status, code, message)
