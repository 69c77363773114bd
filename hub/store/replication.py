"""Waiting for a replica: a state change is answered only once a replica holds it in its
append-only file, so a failover to that replica loses nothing that was answered.

The scripts of one round trip are followed, in the same pipeline, by ``WAIT n t`` and then
``WAITAOF 1 n t`` (``WAIT`` alone on a server without WAITAOF, Redis before 7.2). WAIT
comes first because a replica answers the primary's request for acknowledgement before it
fsyncs the writes that arrived with that request: WAITAOF right behind the writes then
waits for the replica's next routine acknowledgement, a second later (measured on Valkey
9: ~1,000 ms). Once WAIT has returned, the replica has fsynced, and WAITAOF's own request
is answered at once (~0.3 ms more)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError, ResponseError

from hub.clock import monotonic

log = logging.getLogger(__name__)
PAUSE = 30.0  # seconds a lenient writer goes without waiting after a replica fell short


class ReplicaUnconfirmed(RedisError):
    """No replica confirmed a write in time: it is on the primary, not known to be on a
    replica. Transient: the API answers 503, and a retry of the same request finds it."""


@dataclass
class Replication:
    """How many replicas must confirm a write, and how long each wait may take. A strict
    writer (the API) fails a write that falls short; a lenient one (the engine, which must
    keep notices going while a replica is down) logs it and stops waiting for a while."""

    replicas: int
    timeout: float
    strict: bool = True
    waitaof: bool = True  # False once the server said it has no WAITAOF
    local: int = 1  # 0 once the server said its own AOF is off
    paused_until: float = 0.0

    def commands(self) -> list[tuple[object, ...]]:
        """The waits to send after a round trip's writes (none while paused)."""
        if not self.strict and monotonic() < self.paused_until:
            return []
        ms = max(1, int(self.timeout * 1000))
        waits: list[tuple[object, ...]] = [("WAIT", self.replicas, ms)]
        if self.waitaof:
            waits.append(("WAITAOF", self.local, self.replicas, ms))
        return waits

    def settle(self, answers: list[object]) -> None:
        """Check the waits' answers: ReplicaUnconfirmed when they fall short (strict)."""
        confirmed = answers[0] if isinstance(answers[0], int) else 0
        if len(answers) > 1:
            aof = answers[1]
            if isinstance(aof, ResponseError):
                self._adapt(aof)
            elif isinstance(aof, list):
                confirmed = min(confirmed, int(aof[1]))
            else:
                confirmed = 0
        if confirmed >= self.replicas:
            return
        if self.strict:
            raise ReplicaUnconfirmed(f"no replica confirmed the write within "
                                     f"{self.timeout:g} s")
        log.warning("no replica confirmed the engine's writes within %g s; it goes on "
                    "without waiting for %g s", self.timeout, PAUSE)
        self.paused_until = monotonic() + PAUSE

    def _adapt(self, error: ResponseError) -> None:
        if "appendonly" in str(error):
            self.local = 0
            log.warning("Redis's own AOF is off: waiting for replicas only")
        else:
            self.waitaof = False
            log.warning("Redis has no WAITAOF (%s): waiting with WAIT, which confirms that "
                        "a replica received a write, not that it is on its disk", error)
