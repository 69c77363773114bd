"""Whether escalation runs, as the web processes see it.

The engine last ran when both a ticker and a worker last completed a cycle (the older of
the two: a ticker hands out steps, a worker fires them; either alone fires nothing). It is
stale when that was more than HUB_ENGINE_STALE seconds ago. Until a ticker has run once on
this Redis there is nothing to watch: /healthz/engine says so (503), but no page shows a
banner and nobody is alerted (a new hub whose worker is still starting).

The watch, in every web process: every few seconds it asks Redis (one script, shared by
all processes, engine_alarm.lua) whether to tell the operators and coordinators that the
engine stopped (at once, then every 15 minutes while it lasts) or that it runs again (once),
and has that sent by what it was given to tell with (hub/escalation/alarm.py: straight
through the adapters, never through the queue the stopped engine would have to run)."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypedDict

from hub.clock import Clock
from hub.loops import keep_going
from hub.store import Store
from hub.store.engine import Beats, Lateness

Tell = Callable[..., Awaitable[int]]  # tell(stopped=, since=): how many were told
REPEAT = 900.0  # seconds between two alerts while the engine stays stopped


class EngineDoc(TypedDict):
    """EngineHealth's figures as /healthz and /engine/health show them."""

    ticker_age_s: float | None
    sealer_age_s: float | None
    sealer_backlog: int
    workers: int
    rungs_fired: int
    last_rung_late_s: float | None


@dataclass(frozen=True)
class EngineHealth:
    """The engine's figures at one moment."""

    running: bool
    ran_at: float | None  # when it last ran (None: a ticker never ran here)
    ticker_age_s: float | None
    sealer_age_s: float | None
    sealer_backlog: int
    workers: int  # workers that completed a cycle within the stale window
    lateness: Lateness

    def doc(self) -> EngineDoc:
        """The figures (without the verdict: that is ``running``)."""
        return {"ticker_age_s": self.ticker_age_s, "sealer_age_s": self.sealer_age_s,
                "sealer_backlog": self.sealer_backlog, "workers": self.workers,
                "rungs_fired": self.lateness.count,
                "last_rung_late_s": self.lateness.last}


def _age(now: float, at: float | None) -> float | None:
    return None if at is None else round(max(0.0, now - at), 3)


def last_ran(beats: Beats) -> float | None:
    """When the engine last ran: the older of the ticker's and the newest worker's last
    completed cycle (the ticker's alone when no worker ever beat here)."""
    if beats.ticker is None:
        return None
    if beats.newest_worker is None:
        return beats.ticker
    return min(beats.ticker, beats.newest_worker)


class EngineService:
    def __init__(self, *, store: Store, clock: Clock, stale: float):
        self._store = store
        self._clock = clock
        self.stale = stale

    async def health(self) -> EngineHealth:
        now = self._clock.now()
        beats = await self._store.engine.beats(now - self.stale)
        ran = last_ran(beats)
        return EngineHealth(ran is not None and now - ran <= self.stale, ran,
                            _age(now, beats.ticker), _age(now, beats.sealer), beats.backlog,
                            beats.workers, beats.lateness)

    async def alarm(self, ran_at: float, repeat: float) -> tuple[str, float]:
        """Whether this process is the one to tell people, decided once for all processes
        (store/lua/engine_alarm.lua): 'alert' (stale, and nobody told within ``repeat``
        seconds) or 'resumed' (running again after an alert) with when the outage began;
        otherwise 'stale' or 'running' with ``ran_at``."""
        return await self._store.engine.alarm(self._clock.now(), ran_at, self.stale, repeat)


@dataclass(frozen=True)
class Sighting:
    """What this process last found: 'running', 'stale', 'alert', 'resumed' or 'never',
    and when the engine last ran."""

    state: str = "never"
    ran_at: float | None = None

    @property
    def stopped(self) -> bool:
        return self.state in ("stale", "alert")


class EngineWatch:
    """The dead man's switch of one web process."""

    def __init__(self, *, engine: EngineService, tell: Tell, repeat: float = REPEAT):
        self._engine = engine
        self._tell = tell
        self._repeat = repeat
        self.seen = Sighting()

    @property
    def every(self) -> float:
        """Seconds between two looks: a stale engine is noticed well within its window."""
        return min(5.0, max(0.2, self._engine.stale / 4))

    async def look(self) -> float:
        """One look at the engine; tell whom it concerns if this process is the one to."""
        health = await self._engine.health()
        if health.ran_at is None:
            self.seen = Sighting()
            return self.every
        state, since = await self._engine.alarm(health.ran_at, self._repeat)
        self.seen = Sighting(state, health.ran_at)
        if state in ("alert", "resumed"):
            await self._tell(stopped=state == "alert", since=since)
        return self.every

    async def run(self, stop: threading.Event) -> None:
        """Look until ``stop``, through Redis outages; anything else is raised."""
        await keep_going("engine watch", self.look, stop)
