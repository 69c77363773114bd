"""Firing a rung of the ladder, and sending at once what it commits.

`fire(member)` runs when a timer falls due: it commits one notice per person to notify
(each gated in Redis on the referral still waiting at the same generation, so nothing is
committed after an acknowledgement; notify.py), then records the rung reached and schedules
the next. The notices due now are delivered straight away (delivery.py); the steps
consent's end sets off are in endings.py. The engine is put together in hub/build.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial

from hub.adapters.base import Sender
from hub.clock import Clock
from hub.loops import hold_async
from hub.models import HistoryEvent, Referral
from hub.routing.ccr import Ccr
from hub.routing.ladder import ACK, CONSENT, RETAIN, Ladder, Rung, split_member
from hub.routing.milestones import GAP, PREFIX, is_milestone
from hub.services.directory import DirectoryService
from hub.services.timers import timer_field
from hub.store import Store
from hub.store.mdt import ACT

from .actions import ActionsDue
from .changes import Changed, tell
from .delivery import Delivery
from .duty import Rota
from .endings import TOLD, Endings
from .missed import Missed
from .notify import Notifier, Step
from .recipients import watching

SKEW = 5.0  # seconds a rung may fire before its due time (clocks of ticker and worker)


@dataclass
class Engine:
    store: Store
    clock: Clock
    ccr: Ccr
    ladder: Ladder
    directory: DirectoryService
    notifier: Notifier
    endings: Endings
    delivery: Delivery
    rota: Rota  # who a rung reaches: on duty now, or the fixed group
    missed: Missed  # a milestone's deadline passed, or a code missed it: a gap
    actions: ActionsDue  # a team meeting's action item fell due
    lease: float = 60.0  # seconds a claimed step is held for this process
    changed: Changed | None = None  # told of each rung fired (FHIR Subscriptions)

    @property
    def senders(self) -> Mapping[str, Sender]:
        return self.delivery.senders

    async def each(self, step: Callable[[str], Awaitable[str]], ids: list[str]) -> list[str]:
        """Run ``step`` for every id concurrently; one failing does not stop the others (its
        claim stays leased, so it runs again), and the first failure is raised at the end.
        A step that meets a Redis outage runs again when Redis answers (steps are
        idempotent), for up to a lease: by then the reaper has handed its claim out again."""
        results = await asyncio.gather(
            *(hold_async("job", partial(step, i), give_up_after=self.lease) for i in ids),
            return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        return [str(r) for r in results]

    async def deliver(self, member: str) -> str:
        """Send one notice (or, for a ``digest-`` member, a person's digest)."""
        return await self.delivery.deliver(member)

    async def fire(self, member: str) -> str:
        """Fire a due rung, then send at once the notices it committed that are due now
        (a notice held back by quiet hours waits in the deliveries queue)."""
        outcome, claimed = await self._fire(member)
        await asyncio.gather(*(self.deliver(nid) for nid in claimed))
        return outcome

    async def _fire(self, member: str) -> tuple[str, list[str]]:
        rid, timer = split_member(member)
        referral = await self.store.referrals.get(rid)
        if timer in TOLD:
            return await self.endings.tell_everyone(referral, member, timer)
        if timer == CONSENT:
            return await self.endings.consent_ran_out(referral, member), []
        if timer == RETAIN:
            return await self.endings.retention_over(referral, member), []
        if timer.startswith(GAP):
            return await self.missed.gap_step(referral, member, timer.removeprefix(GAP))
        if timer.startswith(ACT):
            return await self.actions.fall_due(referral, member, timer.removeprefix(ACT))
        state = await self.store.referrals.timer_state(rid, timer_field(timer))
        if referral is None or state is None or referral.status not in watching(timer) \
                or self.clock.now() >= referral.consent.expires_at:  # fail closed: consent
            await self.store.timers.release(self.store.keys.deadlines(), member)  # ends it
            return "done", []  # in a step of its own, which tells everyone
        if timer == ACK and referral.claimed(self.clock.now()):  # a claim holds it until
            await self.store.timers.requeue(self.store.keys.deadlines(), member,  # its
                                            float(referral.claim_until or 0))  # pause ends
            return "claimed", []
        return await self._rung(referral, member, Rung.parse(timer, state, due=0.0))

    async def _rung(self, referral: Referral, member: str, rung: Rung
                    ) -> tuple[str, list[str]]:
        """Commit the notices of the rung waiting on ``member``, then move to the next."""
        queue = self.store.keys.deadlines()
        policy = self.ladder.policy(referral.type, referral.urgency)
        if policy is None:
            await self.store.timers.release(queue, member)
            return "done", []
        due = self.ladder.at(policy, referral.destination, rung.timer, rung.step, rung.round,
                             rung.base).due
        if due > self.clock.now() + SKEW:  # handed out twice (a lease ran out while its job
            await self.store.timers.requeue(queue, member, due)  # waited) and the other
            return "not-due", []  # job fired it: the rung now waiting is not due yet
        deadline = self.ladder.deadline(policy, referral.destination, rung.timer, rung.base)
        claimed: list[str] = []
        if is_milestone(rung.timer) and (rung.step, rung.round) == (0, 0):  # now a gap
            claimed += await self.missed.fall_due(referral, rung.timer.removeprefix(PREFIX),
                                                  deadline)
        roster = await self.directory.verified_roster(referral.destination)
        reached = await self.rota.reach(referral, policy, rung, roster, self.clock.now())
        rung = reached.rung  # a later one when no one was on duty for those before it
        step = Step(rung, rung.round * len(policy.escalation) + rung.step + 1, due,
                    deadline)
        for person in reached.people:
            outcome, nid = await self.notifier.commit(referral, step, person, 0)
            if outcome == "stale":
                return await self._stale(member), claimed
            if outcome == "claimed":
                claimed.append(nid)
        following = self.ladder.next(policy, referral.destination, rung)
        now = self.clock.now()
        result = await self.store.timers.advance(
            referral, member, timer_field=timer_field(rung.timer),
            generation=referral.generation, next_state=following.state() if following else None,
            next_due=following.due if following else 0.0, now=now,
            due=due,
            first_notice=HistoryEvent(at=now, actor="hub", action="notified")
            if rung.timer == ACK and reached.people else None, skipped=reached.skipped)
        if result == "ok":
            await tell(self.store, self.changed, referral.id)
        return (await self._stale(member) if result == "stale" else result), claimed

    async def _stale(self, member: str) -> str:
        """The referral changed under this step: fire again with what it is now (if the
        change stopped the timer, the next firing finds that and does nothing)."""
        await self.store.timers.requeue(self.store.keys.deadlines(), member, self.clock.now())
        return "stale"
