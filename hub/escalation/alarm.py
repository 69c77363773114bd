"""The alert that escalation stopped, or runs again: what the dead man's switch of every web
process (services/engine.py EngineWatch) sends straight through the adapters, never through
the queue the stopped engine would have to run. It goes to every operator and coordinator
on every contact each has, and names no referral: whether it stopped, since when, a link."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hub.adapters import SENDERS
from hub.adapters.base import Notice, Sender, SendError
from hub.adapters.render import (
    EngineFacts,
    RecoveryFacts,
    Rendered,
    render_engine,
    render_recovery,
)
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


async def tell_each(senders: Mapping[str, Sender], people: list[Recipient],
                    render: Callable[[Recipient], Rendered], key: str, what: str) -> int:
    """Send what ``render`` makes of each of ``people`` on every contact they have that
    this process sends on, straight through the adapters (no queue); how many were
    accepted. A failed send is logged as ``what`` was not sent. ``key`` (with the person
    and channel) makes each notice's idempotency key."""
    async def send(who: Recipient, contact: Contact) -> bool:
        words = SENDERS[contact.kind].words(render(who))
        digest = hashlib.sha256(f"{key}|{who.id}|{contact.kind}".encode()).hexdigest()[:32]
        notice = Notice(key=digest, to=contact.to(who.id), subject=words.subject,
                        text=words.text, html=words.html)
        try:
            await senders[contact.kind].send(notice)
        except SendError as e:
            raise RuntimeError(f"{contact.kind} to {who.id}: {e}") from None
        return True

    results = await asyncio.gather(*(send(r, c) for r in people for c in r.contacts
                                     if c.kind in senders), return_exceptions=True)
    for error in (r for r in results if isinstance(r, BaseException)):
        log.error("%s was not sent: %s", what, error)
    return sum(r is True for r in results)


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
        sent = await tell_each(
            self._senders, recipients(self._ccr),
            lambda who: render_engine(EngineFacts(stopped, since, who.timezone),
                                      who.language, self._base_url),
            f"engine|{stopped}|{since}|{self._clock.now()}",
            f"an escalation {'stopped' if stopped else 'resumed'} alert")
        log.warning("escalation %s (it had not run since %s): %d alerts sent",
                    "has stopped" if stopped else "runs again", iso(since), sent)
        return sent


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
        operators = {o.id for o in self._ccr.operators}
        return await tell_each(
            self._senders, [r for r in recipients(self._ccr) if r.id not in operators],
            lambda who: render_recovery(RecoveryFacts(agency, at, who.timezone),
                                        who.language, self._base_url),
            f"recovery|{agency}|{at}", "a recovery key notice")
