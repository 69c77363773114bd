"""What the end of consent sets off, as steps of the engine: consent withdrawn or run out
tells everyone who had access (without content); consent running out deletes the content
(an open referral becomes 'expired'); a closed referral's retention running out deletes its
content too. The deletion itself is one atomic step (lua/end_consent.lua).

Consent running out is told only while the referral is open, so a sender the agreement
keeps from the status is not told at all (it set the date itself, and its view shows the
referral expired from then, services/flowback.py): being told or not would say whether
the receiving agency had closed it."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.models import OPEN_STATUSES, HistoryEvent, Referral, Status
from hub.routing.ccr import Ccr, Person
from hub.routing.ladder import EXPIRED, WITHDRAWN, Ladder, Rung, member
from hub.services.auditor import Auditor
from hub.services.directory import DirectoryService
from hub.services.flowback import status_flows_back
from hub.services.timers import obligations
from hub.store import Store

from .changes import Changed, tell
from .notify import Notifier, Step
from .recipients import people_to_notify

TOLD = {WITHDRAWN: Status.REVOKED, EXPIRED: Status.EXPIRED}  # steps telling what consent did


@dataclass
class Endings:
    store: Store
    clock: Clock
    ccr: Ccr
    ladder: Ladder
    directory: DirectoryService
    auditor: Auditor
    notifier: Notifier
    changed: Changed | None = None  # told of each Task change here (FHIR Subscriptions)

    async def tell_everyone(self, referral: Referral | None, member_: str, timer: str
                            ) -> tuple[str, list[str]]:
        """Consent was withdrawn or ran out: one content-free notice to everyone who had
        access (the sender and the receiving escalation group); then the step is done."""
        claimed: list[str] = []
        if referral is not None and referral.status is TOLD[timer]:
            now = self.clock.now()
            step = Step(Rung(timer, 0, 0, referral.updated_at, now), 0, now, now)
            for person in await self._had_access(referral, timer):
                outcome, nid = await self.notifier.commit(referral, step, person, 0)
                if outcome == "claimed":
                    claimed.append(nid)
        await self.store.timers.release(self.store.keys.deadlines(), member_)
        return "done", claimed

    async def consent_ran_out(self, referral: Referral | None, member_: str) -> str:
        """The survivor's consent ran out: an open referral becomes 'expired' and everyone
        is told; a closed one keeps its status. Either way its content is deleted now."""
        queue = self.store.keys.deadlines()
        now = self.clock.now()
        if referral is None or referral.status in (Status.REVOKED, Status.EXPIRED):
            await self.store.timers.release(queue, member_)
            return "done"
        if now < referral.consent.expires_at:  # fired early (a clock step): wait for it
            await self.store.timers.requeue(queue, member_, referral.consent.expires_at)
            return "early"
        to = Status.EXPIRED if referral.status in OPEN_STATUSES else None
        return await self._end_content(referral, member_, to)

    async def retention_over(self, referral: Referral | None, member_: str) -> str:
        """A closed referral's retention under its sharing agreement is over: its content
        is deleted; its status and content-free metadata stay."""
        if referral is None or referral.status in (Status.REVOKED, Status.EXPIRED) \
                or referral.status in OPEN_STATUSES:
            await self.store.timers.release(self.store.keys.deadlines(), member_)
            return "done"
        return await self._end_content(referral, member_, None)

    async def _end_content(self, referral: Referral, member_: str, to: Status | None) -> str:
        """Delete the content (lua/end_consent.lua); with ``to`` (expired) also close the
        referral and queue the step that tells everyone."""
        now = self.clock.now()
        result = await self.store.referrals.end_consent(
            referral, to, {"updated_at": now},
            HistoryEvent(at=now, actor="hub", action="status.expired" if to else "purged",
                         from_status=referral.status, to_status=to or referral.status),
            self.auditor.event(None, "referral.expired" if to else "referral.purged",
                               referral=referral.id),
            notify_at=now, notify_member=member(referral.id, EXPIRED) if to else None,
            obligations=obligations(self.ladder, referral),
            closes=(HistoryEvent(at=now, actor="hub", action="mdt.action.closed"),
                    self.auditor.event(None, "mdt.action.closed", referral=referral.id)))
        if not result.ok:  # it changed meanwhile: decide again with what it is now
            await self.store.timers.requeue(self.store.keys.deadlines(), member_, now)
            return "stale"
        await tell(self.store, self.changed, referral.id)
        return "expired" if to else "purged"

    async def _had_access(self, referral: Referral, timer: str) -> list[Person]:
        """The sender and the receiving escalation group; not the sender for consent run
        out when the agreement keeps the status from it (module docstring)."""
        roster = await self.directory.verified_roster(referral.destination)
        group = [p for notify in ("point_person", "backups") for p in people_to_notify(
            self.ccr, referral.destination, referral.type, notify, roster)]
        told = timer != EXPIRED or status_flows_back(referral, self.ccr)
        sender = self.ccr.find_person(referral.sender_person) if told else None
        people = {p.id: p for p in [*([sender] if sender else []), *group]}
        return [p for p in people.values() if referral.may_notify(p.id)]
