"""Whether escalation runs, as the web processes see it, and the dead man's switch that
does not depend on the worker.

The engine last ran when both a ticker and a worker last completed a cycle (the older of
the two: a ticker hands out steps, a worker fires them; either alone fires nothing). It is
stale when that was more than HUB_ENGINE_STALE seconds ago. Until a ticker has run once on
this Redis there is nothing to watch: /healthz/engine says so (503), but no page shows a
banner and nobody is alerted (a new hub whose worker is still starting).

The watch, in every web process: every few seconds it asks Redis (one script, shared by
all processes, engine_alarm.lua) whether to tell the operators and coordinators that the
engine stopped (at once, then every 15 minutes while it lasts) or that it runs again (once),
and sends that straight through the email and SMS adapters, never through the queue the
stopped engine would have to run."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from hub.adapters.base import Channel, Notice, SendError
from hub.adapters.render import EngineFacts, render_engine
from hub.clock import Clock, iso
from hub.loops import keep_going
from hub.routing.directory import Ccr
from hub.store import Store
from hub.store.engine import Beats, Lateness

log = logging.getLogger(__name__)
REPEAT = 900.0  # seconds between two alerts while the engine stays stopped


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


@dataclass(frozen=True)
class Recipient:
    """Someone told when escalation stops: an operator or a coordinator."""

    id: str
    channels: tuple[tuple[str, str], ...]  # (kind, address or number)
    timezone: str
    language: str


def recipients(ccr: Ccr) -> list[Recipient]:
    """The CCR's operators and coordinators, with every channel each has."""
    out = [Recipient(o.id, tuple((c.kind, c.address or c.number or "") for c in o.channels),
                     o.timezone, o.language) for o in ccr.operators]
    for person in ccr.people:
        agency = ccr.find_agency(person.agency)
        if "coordinator" in person.roles and agency is not None:
            out.append(Recipient(person.id, tuple((c.kind, c.address or c.number or "")
                                                  for c in person.channels),
                                 agency.timezone, person.language))
    return out


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

    def __init__(self, *, engine: EngineService, store: Store, clock: Clock, ccr: Ccr,
                 channels: Mapping[str, Channel], base_url: str, repeat: float = REPEAT):
        self._engine = engine
        self._store = store
        self._clock = clock
        self._ccr = ccr
        self._channels = channels
        self._base_url = base_url
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
        now = self._clock.now()
        state, since = await self._store.engine.alarm(now, health.ran_at, self._engine.stale,
                                                      self._repeat)
        self.seen = Sighting(state, health.ran_at)
        if state in ("alert", "resumed"):
            await self.tell(stopped=state == "alert", since=since)
        return self.every

    async def tell(self, *, stopped: bool, since: float) -> int:
        """Send the alert (or the all-clear) to every operator and coordinator on every
        channel they have; how many were accepted. A failed send is logged: the next
        alert comes within 15 minutes while the outage lasts."""
        sends = [self._send(r, kind, to, stopped, since) for r in recipients(self._ccr)
                 for kind, to in r.channels if kind in self._channels]
        results = await asyncio.gather(*sends, return_exceptions=True)
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("an escalation %s alert was not sent: %s",
                      "stopped" if stopped else "resumed", error)
        log.warning("escalation %s (it had not run since %s): %d alerts sent",
                    "has stopped" if stopped else "runs again", iso(since),
                    sum(r is True for r in results))
        return sum(r is True for r in results)

    async def _send(self, who: Recipient, kind: str, to: str, stopped: bool,
                    since: float) -> bool:
        text = render_engine(EngineFacts(stopped, since, who.timezone), who.language,
                             self._base_url)
        key = hashlib.sha256(f"engine|{stopped}|{since}|{who.id}|{kind}|"
                             f"{self._clock.now()}".encode()).hexdigest()[:32]
        notice = Notice(key=key, to=to, subject=text.subject,
                        text=text.sms if kind == "sms" else text.text,
                        html=None if kind == "sms" else text.html)
        try:
            await self._channels[kind].send(notice)
        except SendError as e:
            raise RuntimeError(f"{kind} to {who.id}: {e}") from None
        return True

    async def run(self, stop: threading.Event) -> None:
        """Look until ``stop``, through Redis outages; anything else is raised."""
        await keep_going("engine watch", self.look, stop)
