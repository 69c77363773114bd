"""Who a rung reaches when it fires: the people on duty at that moment for a group with a
schedule (services/schedules.py), or its fixed point person and backups. A rung whose duty
no one holds now (a coverage gap) is passed over at once for the next rung of the ladder,
and the referral's history says so. Someone who left the agency (offboarded) is never
reached, even by a roster signed before they left."""

from __future__ import annotations

from dataclasses import dataclass

from hub.crypto import VerifiedRoster
from hub.models import HistoryEvent, Referral
from hub.routing.ccr import Ccr, DeadlinePolicy, Person
from hub.routing.ladder import Ladder, Rung
from hub.services.schedules import ScheduleService

from .recipients import people_to_notify

SKIPPED = "rung.skipped"  # a history event's action; its code is the rung's notify


@dataclass(frozen=True)
class Reached:
    """The rung that notifies (``rung`` itself, or a later one when earlier ones fell in a
    gap), whom, and the history of the rungs passed over."""

    rung: Rung
    people: list[Person]
    skipped: tuple[HistoryEvent, ...]


@dataclass
class Rota:
    ccr: Ccr
    ladder: Ladder
    schedules: ScheduleService

    async def reach(self, referral: Referral, policy: DeadlinePolicy, rung: Rung,
                    roster: VerifiedRoster | None, now: float) -> Reached:
        agency, kind = referral.destination, referral.type
        scheduled = self.schedules.scheduled(agency, kind)
        on_duty = await self.schedules.on_duty(agency, kind, now, roster) if scheduled else None
        left = frozenset() if scheduled else await self.schedules.left(agency)
        skipped: list[HistoryEvent] = []
        for _ in range(len(policy.escalation)):
            notify = policy.escalation[rung.step].notify
            people = [p for p in people_to_notify(self.ccr, agency, kind, notify, roster,
                                                  on_duty)
                      if p.id not in left and referral.may_notify(p.id)]
            if people or on_duty is None or notify == "coordinator":
                return Reached(rung, people, tuple(skipped))
            skipped.append(HistoryEvent(at=now, actor="hub", action=SKIPPED, code=notify))
            following = self.ladder.next(policy, agency, rung)
            if following is None:
                break
            rung = following
        return Reached(rung, [], tuple(skipped))
