"""The dead man's switch, in every web process, independent of the worker: every few
seconds it asks Redis (one script, shared by all processes, engine_alarm.lua, through
services/engine.py) whether to tell the operators and coordinators that the engine stopped
(at once, then every 15 minutes while it lasts) or that it runs again (once), and sends that
straight through the email and SMS adapters, never through the queue the stopped engine
would have to run."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from hub.clock import Clock, iso
from hub.loops import keep_going
from hub.notify.base import Channel, Notice, SendError
from hub.notify.render import EngineFacts, render_engine
from hub.routing.directory import Ccr
from hub.services.engine import EngineService

log = logging.getLogger(__name__)
REPEAT = 900.0  # seconds between two alerts while the engine stays stopped


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

    def __init__(self, *, engine: EngineService, clock: Clock, ccr: Ccr,
                 channels: Mapping[str, Channel], base_url: str, repeat: float = REPEAT):
        self._engine = engine
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
        state, since = await self._engine.alarm(health.ran_at, self._repeat)
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
