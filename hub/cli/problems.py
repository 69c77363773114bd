"""One kind of error for everything a user can fix: printed as one line saying what to do,
with a documented exit code (one per kind of failure, the same in every command), never a
traceback. docs/cli.md's table is this module's, word for word (a test compares them)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEM = 1  # something on this computer needs fixing: a file, a key, a passphrase
EXIT_USAGE = 2  # the command line was wrong: a missing, unknown or malformed argument
EXIT_CONFIG = 3  # the settings or the CCR's configuration are invalid
EXIT_REFUSED = 4  # the hub refused: your role, the referral's state, consent, an agreement
EXIT_UNREACHABLE = 5  # the hub or Redis could not be reached
EXIT_TRUST = 6  # a key, certificate, roster, bundle or envelope failed verification
EXIT_NOT_FOUND = 7  # no such referral, agency, person, referral type or token (that you see)
EXIT_SIGN_IN = 8  # not signed in, or the hub refused the token: run 'hub login'
EXIT_DECLINED = 9  # you answered no when asked to confirm: nothing was changed
EXIT_BUG = 10  # an unexpected error in hub itself; HUB_DEBUG=1 shows where
EXIT_INTERRUPTED = 130  # stopped with Ctrl-C

MEANINGS = {
    EXIT_OK: "done",
    EXIT_PROBLEM: "something on this computer needs fixing (a file, a key, a passphrase); "
                  "the message says what",
    EXIT_USAGE: "the command line was wrong: a missing, unknown or malformed argument "
                "(usage is printed)",
    EXIT_CONFIG: "the settings or the CCR's configuration are invalid (file, key, what is "
                 "wrong)",
    EXIT_REFUSED: "the hub refused: your role, the referral's state, consent or a sharing "
                  "agreement does not allow it; the message carries the hub's error code",
    EXIT_UNREACHABLE: "the hub or Redis could not be reached",
    EXIT_TRUST: "a key, certificate, roster, pin bundle or envelope failed verification; "
                "nothing was trusted or sent",
    EXIT_NOT_FOUND: "no such referral, agency, person, referral type or token (or none "
                    "that you may see)",
    EXIT_SIGN_IN: "not signed in, or the hub refused your token (revoked, expired or "
                  "mistyped): run 'hub login'",
    EXIT_DECLINED: "you answered no when asked to confirm: nothing was changed",
    EXIT_BUG: "an unexpected error in hub itself (please report it; HUB_DEBUG=1 shows "
              "where it happened)",
    EXIT_INTERRUPTED: "stopped with Ctrl-C",
}

SUMMARY = ("0 done, 1 fix something here, 2 bad command line, 3 bad configuration, 4 the hub "
           "refused, 5 unreachable, 6 verification failed, 7 not found, 8 sign in again, "
           "9 you answered no, 10 a bug in hub, 130 interrupted")

# The name each failure has in --json output ({"error": {"code", "message", "exit"}}) when
# the hub gave no code of its own.
KINDS = {EXIT_PROBLEM: "problem", EXIT_USAGE: "usage", EXIT_CONFIG: "configuration",
         EXIT_REFUSED: "refused", EXIT_UNREACHABLE: "unreachable", EXIT_TRUST: "verification",
         EXIT_NOT_FOUND: "not_found", EXIT_SIGN_IN: "sign_in", EXIT_DECLINED: "declined",
         EXIT_BUG: "bug", EXIT_INTERRUPTED: "interrupted"}


class Problem(Exception):
    def __init__(self, message: str, code: int = EXIT_PROBLEM, *, kind: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind or KINDS.get(code, "problem")


def not_found(message: str) -> Problem:
    return Problem(message, EXIT_NOT_FOUND)


def usage(message: str) -> Problem:
    return Problem(message, EXIT_USAGE)
