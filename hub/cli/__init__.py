"""The `hub` command: running the hub, agency administration, device keys and trust, and
the daily work. Every error a user can fix is one line saying what to do; exit codes are
in problems.py and docs/cli.md."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hub.client import HubApiError, Unavailable
from hub.crypto import CryptoError
from hub.errors import ConfigError, HubError
from hub.store import TRANSIENT_ERRORS

from . import session
from .commands import parser
from .problems import (
    EXIT_CONFIG,
    EXIT_REFUSED,
    EXIT_TRUST,
    EXIT_UNREACHABLE,
    Problem,
)


def _fail(message: str, code: int) -> int:
    print(f"hub: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    session.HOME[0] = args.home
    try:
        return args.fn(args)
    except Problem as e:
        return _fail(e.message, e.code)
    except ConfigError as e:
        return _fail(f"configuration error: {e}", EXIT_CONFIG)
    except Unavailable as e:
        return _fail(e.message, EXIT_UNREACHABLE)
    except HubApiError as e:
        return _fail(f"the hub refused: {e.message} ({e.code})", EXIT_REFUSED)
    except HubError as e:
        return _fail(f"refused: {e.message}", EXIT_REFUSED)
    except CryptoError as e:
        return _fail(f"verification failed: {e}. Nothing was trusted or sent.", EXIT_TRUST)
    except TRANSIENT_ERRORS:
        return _fail("cannot reach Redis at HUB_REDIS_URL", EXIT_UNREACHABLE)
    except KeyboardInterrupt:
        return 130
