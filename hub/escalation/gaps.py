"""Telling an agency's admins of a new coverage gap in the coming week: one notice per gap
and admin, on the admin's first contact, committed to the outbox and sent by the workers
like every notice (it names no referral and no person). The ticker runs the watch beside
its reconciler, once a minute (escalation/ticker.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hub.adapters import SENDERS
from hub.adapters.render import GapFacts, render_gap
from hub.clock import Clock
from hub.routing.ccr import Ccr, Person
from hub.services.auditor import Auditor
from hub.services.schedules import Gap, ScheduleService
from hub.store import Store
from hub.store.outbox import NoticeRecord

GAP = "gap"  # a gap notice's timer: it belongs to no referral's ladder
SEND_WINDOW = 6 * 3600.0  # seconds to deliver a gap notice before giving up


@dataclass
class GapNotices:
    store: Store
    clock: Clock
    ccr: Ccr
    schedules: ScheduleService
    auditor: Auditor
    base_url: str

    async def watch(self) -> int:
        """Commit a notice to each admin of each agency with a new gap; how many."""
        count = 0
        for gap in await self.schedules.untold_gaps(self.clock.now()):
            for admin in self.ccr.people_of(gap.agency):
                if "agency_admin" in admin.roles and admin.channels:
                    await self._commit(gap, admin)
                    count += 1
        return count

    async def _commit(self, gap: Gap, person: Person) -> None:
        agency = self.ccr.find_agency(gap.agency)
        if agency is None:  # a schedule's agency is checked at start-up: not reached
            return
        contact = person.channels[0]
        language = person.language
        words = SENDERS[contact.kind].words(render_gap(
            GapFacts(agency.name, gap.types, gap.start, gap.end, agency.timezone), language,
            self.base_url))
        now = self.clock.now()
        nid = hashlib.sha256(f"gap|{gap.agency}|{gap.start}|{gap.end}|{person.id}".encode()
                             ).hexdigest()[:32]
        notice = NoticeRecord(
            timer=GAP, person=person.id, channel=contact.kind, to=contact.to,
            subject=words.subject, text=words.text, html=words.html or "", status="queued",
            created_at=now, rung_due=now, agency=gap.agency, deadline=gap.start,
            send_by=now + SEND_WINDOW)
        await self.store.notices.commit_unbound(
            nid, notice, deliver_at=now,
            audit=self.auditor.event(None, f"notice.gap.{contact.kind}"))
