"""Whether escalation runs, as the web processes see it.

The engine last ran when both a ticker and a worker last completed a cycle (the older of
the two: a ticker hands out steps, a worker fires them; either alone fires nothing). It is
stale when that was more than HUB_ENGINE_STALE seconds ago. Until a ticker has run once on
this Redis there is nothing to watch: /healthz/engine says so (503), but no page shows a
banner and nobody is alerted (a new hub whose worker is still starting). The dead man's
switch that tells people is escalation/watch.py's."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.store import Store
from hub.store.engine import Beats, Lateness


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

    def doc(self) -> dict[str, object]:
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
