"""A coordinator's nudge (services/oversight.py): the notices of the rung a referral's
deadline last reached are committed again under a tag of their own and handed to the
workers at once (the ticker sends them, as any due notice). The web process only commits;
it never sends."""

from __future__ import annotations

from dataclasses import dataclass

from hub.clock import Clock
from hub.models import Referral, Status
from hub.routing.ccr import Ccr, DeadlinePolicy
from hub.routing.ladder import ACK, Ladder, Rung
from hub.services.directory import DirectoryService
from hub.services.schedules import ScheduleService
from hub.services.timers import timer_field
from hub.store import Store

from .notify import Notifier, Step
from .recipients import people_to_notify, watching


@dataclass
class Nudges:
    store: Store
    clock: Clock
    ccr: Ccr
    ladder: Ladder
    directory: DirectoryService
    notifier: Notifier
    schedules: ScheduleService  # who is on duty now, for a group with a schedule

    async def nudge(self, referral: Referral, timer: str, tag: str) -> int:
        """Send again the notices of the step ``timer`` last reached (its first step when
        none has fired yet). Returns how many notices were queued (0: nothing to nudge)."""
        policy = self.ladder.policy(referral.type, referral.urgency)
        if policy is None or referral.status.value not in watching(timer):
            return 0
        rung = await self._reached(policy, referral, timer)
        if rung is None:
            return 0
        roster = await self.directory.verified_roster(referral.destination)
        on_duty = await self.schedules.on_duty(referral.destination, referral.type,
                                               self.clock.now(), roster)
        level = rung.round * len(policy.escalation) + rung.step + 1
        step = Step(rung, level, rung.due,
                    self.ladder.deadline(policy, referral.destination, timer, rung.base))
        queued = 0
        for person in people_to_notify(self.ccr, referral.destination, referral.type,
                                       policy.escalation[rung.step].notify, roster, on_duty):
            if not referral.may_notify(person.id):
                continue  # a drill tells only the people its scenario names
            outcome, nid = await self.notifier.commit(referral, step, person, 0, tag)
            if outcome == "claimed":  # due now: for the workers to send, not this process
                await self.store.timers.requeue(self.store.keys.deliveries(), nid,
                                                self.clock.now())
            queued += outcome in ("claimed", "created")
        return queued

    async def _reached(self, policy: DeadlinePolicy, referral: Referral, timer: str
                       ) -> Rung | None:
        """The rung before the one waiting to fire; the ladder's last when it is spent."""
        state = await self.store.referrals.timer_state(referral.id, timer_field(timer))
        last = len(policy.escalation) - 1
        if state is None:
            base = await self._base(referral, timer)
            if base is None:
                return None
            step, round_ = last, policy.repeat - 1
        else:
            waiting = Rung.parse(timer, state, due=0.0)
            base, step, round_ = waiting.base, waiting.step - 1, waiting.round
            if step < 0:
                step, round_ = (last, round_ - 1) if round_ else (0, 0)
        return self.ladder.at(policy, referral.destination, timer, step, round_, base)

    async def _base(self, referral: Referral, timer: str) -> float | None:
        """When a spent ladder started: submission, or acceptance for a follow-up."""
        if timer == ACK:
            return referral.submitted_at
        history = await self.store.referrals.history(referral.id)
        return next((e.at for e in history if e.to_status == Status.ACCEPTED), None)
