"""A milestone gone missing, as a step of the engine: its deadline passed unrecorded (the
first rung of its ``ms:`` timer, which notifies the receiving agency up the policy's
ladder like any follow-up) or a code missed it (a no-show queues a ``gap:`` step at once).
Either way it is marked a gap once (lua/mark_gap.lua: the figures' missed count, history,
audit) and the sender is told in a content-free notice, only where the sharing agreement
lets the status flow back and the consent shares how it went (``share_outcome``, as it
stands: narrowed or not; services/flowback.py): any other sender learns nothing of it."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.models import HistoryEvent, Referral
from hub.routing.ccr import Ccr
from hub.routing.ladder import Rung
from hub.routing.milestones import GAP
from hub.services.auditor import Auditor
from hub.services.flowback import milestones_flow_back
from hub.store import Store

from .notify import Notifier, Step
from .recipients import watching


@dataclass
class Missed:
    store: Store
    clock: Clock
    ccr: Ccr
    auditor: Auditor
    notifier: Notifier

    async def gap_step(self, referral: Referral | None, member_: str, code: str
                       ) -> tuple[str, list[str]]:
        """The ``gap:{code}`` step a code that misses a milestone queued: mark, tell."""
        claimed: list[str] = []
        if referral is not None and referral.status.value in watching(GAP + code):
            claimed = await self.fall_due(referral, code, self.clock.now())
        await self.store.timers.release(self.store.keys.deadlines(), member_)
        return "gap", claimed

    async def fall_due(self, referral: Referral, code: str, deadline: float) -> list[str]:
        """Mark ``code`` a gap on ``referral`` (once) and tell the sender where milestones
        flow back to it: the ids of the notices to send now."""
        now = self.clock.now()
        marked = await self.store.milestones.mark_gap(
            referral, code, now=now,
            history=HistoryEvent(at=now, actor="hub", action="milestone.missed", code=code),
            audit=self.auditor.event(None, "milestone.missed", referral=referral.id))
        sender = self.ccr.find_person(referral.sender_person)
        if marked != "new" or sender is None or not milestones_flow_back(referral, self.ccr):
            return []
        step = Step(Rung(GAP + code, 0, 0, deadline, now), 1, now, deadline)
        outcome, nid = await self.notifier.commit(referral, step, sender, 0)
        return [nid] if outcome == "claimed" else []
