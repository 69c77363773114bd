"""How many requests one person may make: at most ``limit`` per ``window`` seconds (fixed
windows), on every authenticated route and page. Counted in each hub process, in memory
(one entry per person of the CCR, so it cannot grow past the directory), which costs the
busiest route no Redis round trip; with N processes a person may make up to N times the
limit. A refusal is a 429 with Retry-After; the refusals of one person in one window are
audited as one event with their count when the window ends (store/access.py tally)."""

from __future__ import annotations

import math

from hub.clock import Clock
from hub.errors import TooManyRequests
from hub.models import AuditEvent
from hub.store import Store
from hub.store.access import Window

from .principal import Principal


class RequestLimits:
    def __init__(self, *, store: Store, clock: Clock, limit: int, window: float):
        self._store = store
        self._clock = clock
        self._limit = limit
        self._window = window
        self._counts: dict[str, tuple[int, int]] = {}  # person -> (window number, requests)

    async def admit(self, who: Principal) -> None:
        """Count one request of ``who``; refuse it past the limit."""
        now = self._clock.now()
        window = Window.at(now, self._window)
        number, count = self._counts.get(who.person, (window.number, 0))
        count = count + 1 if number == window.number else 1
        self._counts[who.person] = (window.number, count)
        if count <= self._limit:
            return
        await self._store.access.tally(AuditEvent(
            at=window.ends, actor=who.person, agency=who.agency, action="request",
            outcome="rate_limited"), window.ends)
        wait = math.ceil(window.ends - now)
        raise TooManyRequests(f"too many requests from you: at most {self._limit} every "
                              f"{self._window:g} seconds; try again in {wait} seconds",
                              retry_after=wait)
