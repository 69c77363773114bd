"""One kind of error for everything a user can fix: printed as one line saying what to do,
with a documented exit code, never a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEM = 1  # something on this computer needs fixing (the message says what)
EXIT_USAGE = 2  # the command line itself was wrong (argparse)
EXIT_CONFIG = 3  # settings or the CCR's configuration are invalid
EXIT_REFUSED = 4  # the hub refused (the message carries its error code)
EXIT_UNREACHABLE = 5  # the hub or Redis could not be reached
EXIT_TRUST = 6  # a key, certificate, roster or envelope failed verification


class Problem(Exception):
    def __init__(self, message: str, code: int = EXIT_PROBLEM):
        super().__init__(message)
        self.message = message
        self.code = code
