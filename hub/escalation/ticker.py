"""The ticker: claims due timers and deliveries under a lease and hands each to RQ; the
reaper returns claims whose worker died; the reconciler repairs any drift between the
referrals' states and the deadline index. Several tickers may run: a claim is atomic, so
no entry is handed out twice while its lease holds."""

from __future__ import annotations

import asyncio
import logging
import threading

from rq import Queue

from hub.clock import Clock
from hub.models import Status
from hub.routing.directory import DeadlinePolicy
from hub.routing.ladder import ACK, CONSENT, RETAIN, Ladder, Rung, member
from hub.services.timers import timer_field
from hub.store import Store

from . import jobs

log = logging.getLogger(__name__)
LEASE = 60.0  # seconds a worker has to finish a step before it is fired again
BATCH = 500
# statuses whose referrals may run timers: the open ones (ladders, consent's end) and the
# closed ones that still hold content (consent's end, the agreement's retention)
WATCHED = (Status.REQUESTED, Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS,
           Status.COMPLETED, Status.REJECTED, Status.CANCELLED)
INTERVAL = 0.05  # the longest a ticker sleeps: a timer added for "now" waits at most this


CHUNK = 8  # entries per job: a burst is shared among workers and run concurrently in each


def job_id(name: str, member: str, due: float, count: int) -> str:
    """One job per chunk of a claim, named by its first entry, that entry's due time and
    the chunk's size (RQ ids: letters, digits, _ and -)."""
    return f"{name}-{member.replace(':', '_')}-{int(due * 1000)}-{count}"


class Ticker:
    def __init__(self, store: Store, clock: Clock, queue: Queue, ladder: Ladder, *,
                 lease: float = LEASE, batch: int = BATCH):
        self.store = store
        self.clock = clock
        self.queue = queue
        self.ladder = ladder
        self.lease = lease
        self.batch = batch

    async def tick(self) -> int:
        """Hand every due timer and delivery to RQ; how many were handed out."""
        now, handed = self.clock.now(), 0
        for queue_key, job in ((self.store.keys.deadlines(), jobs.fire_timers),
                               (self.store.keys.deliveries(), jobs.deliver_notices)):
            while claimed := await self.store.timers.claim(queue_key, now, self.lease,
                                                           self.batch):
                chunks = [claimed[i:i + CHUNK] for i in range(0, len(claimed), CHUNK)]
                self.queue.enqueue_many([Queue.prepare_data(
                    job, args=([m for m, _ in chunk],),
                    job_id=job_id(job.__name__, *chunk[0], len(chunk)),
                    result_ttl=60, failure_ttl=86400) for chunk in chunks])
                handed += len(claimed)
        return handed

    async def reap(self) -> int:
        now = self.clock.now()
        return sum([await self.store.timers.reap(q, now) for q in
                    (self.store.keys.deadlines(), self.store.keys.deliveries())])

    async def reconcile(self, batch: int = 500) -> int:
        """Re-add every timer a referral's state says should run but the index lacks."""
        repaired = 0
        for status in WATCHED:
            rids: list[str] = []
            async for raw, _ in self.store.redis.zscan_iter(self.store.keys.by_status(status),
                                                           count=batch):
                rids.append(raw.decode())
                if len(rids) == batch:
                    repaired += await self._repair(rids)
                    rids = []
            repaired += await self._repair(rids) if rids else 0
        if repaired:
            log.warning("reconciler re-added %d timers missing from the index", repaired)
        return repaired

    async def _repair(self, rids: list[str]) -> int:
        expected: dict[str, float] = {}
        for referral, states in await self.store.referrals.with_timers(rids):
            if timer_field(CONSENT) in states:  # consent's end: at its expiry
                expected[member(referral.id, CONSENT)] = float(referral.consent.expires_at)
            if timer_field(RETAIN) in states:  # retention: counted from when it closed
                until = self.ladder.retain_until(referral.sender_agency, referral.destination,
                                                 referral.type, referral.updated_at)
                if until is not None:
                    expected[member(referral.id, RETAIN)] = until
            policy = self.ladder.policy(referral.type, referral.urgency)
            if policy is None:
                continue
            for timer in self._running(policy, referral.status):
                state = states.get(timer_field(timer))
                if state is None:
                    continue
                rung = Rung.parse(timer, state, 0.0)
                expected[member(referral.id, timer)] = self.ladder.at(
                    policy, referral.destination, timer, rung.step, rung.round, rung.base).due
        return await self.store.timers.schedule_missing(expected) if expected else 0

    def _running(self, policy: DeadlinePolicy, status: Status) -> tuple[str, ...]:
        """The timers a referral in ``status`` runs under ``policy``."""
        if status is Status.REQUESTED:
            return (ACK,)
        if status not in (Status.REQUESTED, Status.ACCEPTED, Status.IN_PROGRESS):
            return ()  # acknowledged and not accepted yet, or closed
        names = self.ladder.follow_ups(policy)
        if status is Status.IN_PROGRESS:
            met = self.ladder.follow_ups(policy, met_by=Status.IN_PROGRESS.value)
            names = tuple(n for n in names if n not in met)
        return names

    async def pause(self, interval: float) -> float:
        """How long to sleep before the next tick: until the earliest entry falls due, at
        most ``interval`` (entries added meanwhile are seen within it)."""
        soonest = await self.store.timers.soonest((self.store.keys.deadlines(),
                                                   self.store.keys.deliveries()))
        wait = interval if soonest is None else soonest - self.clock.now()
        return min(interval, max(wait, 0.0))

    async def run(self, stop: threading.Event, *, interval: float = INTERVAL,
                  reconcile_every: float = 60.0) -> None:
        """Tick until ``stop``; the reconciler runs beside the ticks (at start and every
        ``reconcile_every`` seconds), so a big index never delays a due step."""
        reconciling = asyncio.create_task(self._reconcile_safely())
        last = self.clock.now()
        while not stop.is_set():
            try:
                await self.tick()
                await self.reap()
                if reconciling.done() and self.clock.now() - last >= reconcile_every:
                    reconciling = asyncio.create_task(self._reconcile_safely())
                    last = self.clock.now()
                await asyncio.sleep(await self.pause(interval))
            except Exception:  # keep ticking through a Redis blip; the next tick catches up
                log.exception("tick failed")
                await asyncio.sleep(interval)
        reconciling.cancel()

    async def _reconcile_safely(self) -> None:
        try:
            await self.reconcile()
        except Exception:
            log.exception("reconcile failed; it runs again within a minute")
