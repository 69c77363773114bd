"""How a call on a service fails when its storage is away for a moment, for the callers
above the services (the web's error middleware and health check, the CLI) that must tell
that apart from a bug without reaching into the store.

STORAGE_UNAVAILABLE: Redis unreachable, timed out, still loading its data, a connection
still on a primary that a failover demoted, full under noeviction, or no replica confirming
a change (the store's TRANSIENT_ERRORS). The web answers 503 with Retry-After; the engine's
loops wait and try again."""

from __future__ import annotations

from hub.store import TRANSIENT_ERRORS

STORAGE_UNAVAILABLE: tuple[type[Exception], ...] = TRANSIENT_ERRORS
