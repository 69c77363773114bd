"""A team meeting's action item falling due, as a step of the engine (``{rid}:act:{aid}``):
while it is open, the owner agency's point persons get one content-free notice (the
referral's reference, the due time, a link); it stays on the dashboard's queue, overdue,
until someone marks it done (services/mdt.py)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.models import Referral
from hub.routing.ccr import Ccr
from hub.routing.ladder import Rung
from hub.store import Store
from hub.store.mdt import ACT

from .notify import Notifier, Step
from .recipients import people_to_notify


@dataclass
class ActionsDue:
    store: Store
    clock: Clock
    ccr: Ccr
    notifier: Notifier

    async def fall_due(self, referral: Referral | None, member_: str, aid: str
                       ) -> tuple[str, list[str]]:
        item = await self.store.mdt.get(aid)
        claimed: list[str] = []
        if referral is not None and item is not None and item.status == "open":
            now = self.clock.now()
            step = Step(Rung(ACT + aid, 0, 0, item.created_at, now), 1, now, item.due)
            for person in people_to_notify(self.ccr, item.owner, referral.type,
                                           "point_person", None):
                outcome, nid = await self.notifier.commit(referral, step, person, 0)
                if outcome == "claimed":
                    claimed.append(nid)
        await self.store.timers.release(self.store.keys.deadlines(), member_)
        return "action", claimed
