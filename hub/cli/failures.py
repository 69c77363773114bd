"""Every way a command can fail, as the one Problem a person reads: what went wrong and
what to do, with the exit code of its kind (problems.py). Nothing here prints a traceback;
an error nobody foresaw is named in one line and exits EXIT_BUG."""

from __future__ import annotations

import errno

from pydantic import ValidationError

from hub.api.drills import RealLooking
from hub.client import HubApiError, NotFound, RateLimited, Unauthorized, Unavailable
from hub.crypto import CryptoError, EnvelopeError, TrustError
from hub.errors import ConfigError, HubError
from hub.services.errors import STORAGE_UNAVAILABLE

from .problems import (
    EXIT_BUG,
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    EXIT_PROBLEM,
    EXIT_REFUSED,
    EXIT_SIGN_IN,
    EXIT_TRUST,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    Problem,
)

# Trust errors that say something on this computer needs doing, not that a check failed.
_LOCAL = {"bad-passphrase", "passphrase-required", "bad-key-file", "wrong-key-file"}
SIGN_IN = ("Ask your agency admin for a new token, then run 'hub login --url URL' and paste "
           "it")


def _api(e: HubApiError) -> Problem:
    if isinstance(e, Unavailable):
        return Problem(e.message, EXIT_UNREACHABLE, kind=e.code)
    if isinstance(e, Unauthorized):
        return Problem(f"the hub refused your token: {e.message.rstrip('.')}. {SIGN_IN}.",
                       EXIT_SIGN_IN, kind=e.code)
    if isinstance(e, RateLimited):
        return Problem(e.message, EXIT_SIGN_IN, kind=e.code)
    if isinstance(e, NotFound):
        return Problem(e.message, EXIT_NOT_FOUND, kind=e.code)
    return Problem(f"the hub refused: {e.message} ({e.code})", EXIT_REFUSED, kind=e.code)


def _hub(e: HubError) -> Problem:
    codes = {404: EXIT_NOT_FOUND, 401: EXIT_SIGN_IN, 503: EXIT_UNREACHABLE}
    return Problem(f"refused: {e.message}", codes.get(e.status, EXIT_REFUSED), kind=e.code)


def _crypto(e: CryptoError) -> Problem:
    if isinstance(e, EnvelopeError) and e.reason == "not-a-recipient":
        return Problem("this device cannot open it: it was sealed before this device was "
                       "approved (to the devices of that moment). Ask a colleague whose device "
                       "can open it.", EXIT_TRUST, kind=e.reason)
    if isinstance(e, TrustError) and e.reason == "not-pinned":
        return Problem(f"{e}: run 'hub trust pin AGENCY FINGERPRINT' with the fingerprint the "
                       "agency read you, or 'hub trust import' your admin's pin bundle",
                       EXIT_PROBLEM, kind=e.reason)
    if isinstance(e, TrustError) and e.reason in _LOCAL:
        return Problem(f"{e}; set HUB_PASSPHRASE_FILE or type it when asked"
                       if "passphrase" in e.reason else str(e), EXIT_PROBLEM, kind=e.reason)
    return Problem(f"verification failed: {e}. Nothing was trusted or sent.", EXIT_TRUST,
                   kind=e.reason)


def _os(e: OSError) -> Problem:
    what = f" {e.filename}" if e.filename else ""
    if e.errno == errno.ENOENT:
        return Problem(f"no such file{what}", EXIT_PROBLEM, kind="no_file")
    return Problem(f"cannot use{what}: {e.strerror or e}", EXIT_PROBLEM, kind="file")


def _invalid(e: ValidationError) -> Problem:
    first = e.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return Problem(f"{where + ': ' if where else ''}{first['msg']}", EXIT_USAGE, kind="invalid")


def problem_of(error: Exception) -> Problem:
    """The Problem a person reads for ``error``."""
    if isinstance(error, Problem):
        return error
    if isinstance(error, STORAGE_UNAVAILABLE):
        return Problem("cannot reach Redis at HUB_REDIS_URL", EXIT_UNREACHABLE)
    if isinstance(error, HubApiError):
        return _api(error)
    if isinstance(error, HubError):
        return _hub(error)
    if isinstance(error, CryptoError):
        return _crypto(error)
    if isinstance(error, ValidationError):
        return _invalid(error)
    if isinstance(error, OSError):
        return _os(error)
    if isinstance(error, ConfigError):
        return Problem(f"configuration error: {error}", EXIT_CONFIG)
    if isinstance(error, RealLooking):
        return Problem(str(error), EXIT_REFUSED, kind="real_looking")
    return Problem(f"unexpected error ({type(error).__name__}: {error}); this is a bug in "
                   "hub, please report it (HUB_DEBUG=1 shows where it happened)", EXIT_BUG)
