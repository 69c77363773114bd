"""The alert that escalation stopped, or runs again: what the dead man's switch of every web
process (services/engine.py EngineWatch) sends straight through the adapters, never through
the queue the stopped engine would have to run. It goes to every operator and coordinator
on every contact each has, and names no referral: whether it stopped, since when, a link."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from hub.adapters import SENDERS
from hub.adapters.base import Notice, Sender, SendError
from hub.adapters.render import EngineFacts, RecoveryFacts, render_engine, render_recovery
from hub.clock import Clock, iso
from hub.routing.ccr import Ccr, Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Someone told when escalation stops: an operator or a coordinator."""

    id: str
    contacts: tuple[Contact, ...]
    timezone: str
    language: str


def recipients(ccr: Ccr) -> list[Recipient]:
    """The CCR's operators and coordinators, with every contact each has."""
    out = [Recipient(o.id, o.channels, o.timezone, o.language) for o in ccr.operators]
    for person in ccr.people:
        agency = ccr.find_agency(person.agency)
        if "coordinator" in person.roles and agency is not None:
            out.append(Recipient(person.id, person.channels, agency.timezone,
                                 person.language))
    return out


class EngineAlarm:
    def __init__(self, *, ccr: Ccr, clock: Clock, senders: Mapping[str, Sender],
                 base_url: str):
        self._ccr = ccr
        self._clock = clock
        self._senders = senders
        self._base_url = base_url

    async def tell(self, *, stopped: bool, since: float) -> int:
        """Send the alert (or the all-clear) to every operator and coordinator on every
        contact they have that this process sends on; how many were accepted. A failed send
        is logged: the next alert comes within 15 minutes while the outage lasts."""
        sends = [self._send(r, c, stopped, since) for r in recipients(self._ccr)
                 for c in r.contacts if c.kind in self._senders]
        results = await asyncio.gather(*sends, return_exceptions=True)
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("an escalation %s alert was not sent: %s",
                      "stopped" if stopped else "resumed", error)
        log.warning("escalation %s (it had not run since %s): %d alerts sent",
                    "has stopped" if stopped else "runs again", iso(since),
                    sum(r is True for r in results))
        return sum(r is True for r in results)

    async def _send(self, who: Recipient, contact: Contact, stopped: bool,
                    since: float) -> bool:
        words = SENDERS[contact.kind].words(render_engine(
            EngineFacts(stopped, since, who.timezone), who.language, self._base_url))
        key = hashlib.sha256(f"engine|{stopped}|{since}|{who.id}|{contact.kind}|"
                             f"{self._clock.now()}".encode()).hexdigest()[:32]
        notice = Notice(key=key, to=contact.to(who.id), subject=words.subject, text=words.text,
                        html=words.html)
        try:
            await self._senders[contact.kind].send(notice)
        except SendError as e:
            raise RuntimeError(f"{contact.kind} to {who.id}: {e}") from None
        return True


class RecoveryAlert:
    """The content-free notice to the CCR's coordinators that an agency used its recovery
    key (break-glass: docs/operations.md), straight through the adapters like the alarm."""

    def __init__(self, *, ccr: Ccr, clock: Clock, senders: Mapping[str, Sender],
                 base_url: str):
        self._ccr = ccr
        self._clock = clock
        self._senders = senders
        self._base_url = base_url

    async def tell(self, agency: str) -> int:
        """How many notices were accepted; a failed send is logged (the use is audited)."""
        at = self._clock.now()
        coordinators = [r for r in recipients(self._ccr)
                        if r.id not in {o.id for o in self._ccr.operators}]
        sends = [self._send(r, c, agency, at) for r in coordinators
                 for c in r.contacts if c.kind in self._senders]
        results = await asyncio.gather(*sends, return_exceptions=True)
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("a recovery key notice was not sent: %s", error)
        return sum(r is True for r in results)

    async def _send(self, who: Recipient, contact: Contact, agency: str, at: float) -> bool:
        words = SENDERS[contact.kind].words(render_recovery(
            RecoveryFacts(agency, at, who.timezone), who.language, self._base_url))
        key = hashlib.sha256(f"recovery|{agency}|{at}|{who.id}|{contact.kind}".encode()
                             ).hexdigest()[:32]
        notice = Notice(key=key, to=contact.to(who.id), subject=words.subject, text=words.text,
                        html=words.html)
        try:
            await self._senders[contact.kind].send(notice)
        except SendError as e:
            raise RuntimeError(f"{contact.kind} to {who.id}: {e}") from None
        return True
