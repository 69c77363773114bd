"""A team meeting's action item falling due, as a step of the engine (``{rid}:act:{aid}``):
while it is open it climbs the referral's policy ladder like a follow-up, once through its
steps, each step's delay counted from the due time in the owner agency's calendar: the
owner agency's point person first, then its backups, then the coordinators, as the steps
say; each notice content-free (the referral's reference, the due time, a link). It stays
on the queues (the owner agency's and the receiving agency's), overdue, until someone marks
it done (services/mdt.py) or the referral closes (lua/transition.lua)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.models import OPEN_STATUSES, Referral
from hub.routing.ccr import Ccr
from hub.routing.ladder import Ladder, Rung
from hub.store import Store
from hub.store.mdt import ACT

from .notify import Notifier, Step
from .recipients import people_to_notify

SKEW = 1.0  # a rung handed out this early still fires (as the engine's SKEW)


@dataclass
class ActionsDue:
    store: Store
    clock: Clock
    ccr: Ccr
    ladder: Ladder
    notifier: Notifier

    async def fall_due(self, referral: Referral | None, member_: str, aid: str
                       ) -> tuple[str, list[str]]:
        item = await self.store.mdt.get(aid)
        policy = self.ladder.policy(referral.type, referral.urgency) if referral else None
        if referral is None or item is None or item.status != "open" or policy is None \
                or referral.status not in OPEN_STATUSES:
            await self.store.timers.release(self.store.keys.deadlines(), member_)
            return "done", []
        due = self.ladder.after_due(policy, item.owner, item.due, item.step)
        if due is None:
            await self.store.mdt.climb(item, None, 0.0)
            return "done", []
        now = self.clock.now()
        if due > now + SKEW:  # handed out twice, and the other job fired this rung
            await self.store.timers.requeue(self.store.keys.deadlines(), member_, due)
            return "not-due", []
        step = Step(Rung(ACT + aid, item.step, 0, item.due, due), item.step + 1, due, item.due)
        claimed: list[str] = []
        notify = policy.escalation[item.step].notify
        for person in people_to_notify(self.ccr, item.owner, referral.type, notify, None):
            outcome, nid = await self.notifier.commit(referral, step, person, 0,
                                                      owing=item.owner)
            if outcome == "claimed":
                claimed.append(nid)
        following = self.ladder.after_due(policy, item.owner, item.due, item.step + 1)
        await self.store.mdt.climb(item, item.step + 1 if following else None,
                                   following or 0.0)
        return "action", claimed
