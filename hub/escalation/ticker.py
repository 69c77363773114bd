"""The ticker: claims due timers and deliveries under a lease and hands each to RQ; the
reaper returns claims whose worker died; the reconciler repairs any drift between the
referrals' states and the deadline index. Several tickers may run: a claim is atomic, so
no entry is handed out twice while its lease holds."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rq import Queue

from hub.clock import Clock
from hub.loops import Heartbeat, keep_going
from hub.models import Status
from hub.routing.ccr import DeadlinePolicy
from hub.routing.ladder import ACK, CONSENT, RETAIN, Ladder, Rung, member
from hub.services.timers import timer_field
from hub.store import TRANSIENT_ERRORS, Store

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


LOOKS = 3  # ticks a claim whose answer was lost is looked for


@dataclass
class Unsure:
    """A claim sent whose answer never came."""

    queue: str
    token: str
    looks: int = 0


def job_id(name: str, member: str, due: float, count: int) -> str:
    """One job per chunk of a claim, named by its first entry, that entry's due time and
    the chunk's size (RQ ids: letters, digits, _ and -)."""
    return f"{name}-{member.replace(':', '_')}-{int(due * 1000)}-{count}"


class Ticker:
    def __init__(self, store: Store, clock: Clock, queue: Queue, ladder: Ladder, *,
                 lease: float = LEASE, batch: int = BATCH,
                 watch: Callable[[], Awaitable[object]] | None = None):
        self.store = store
        self.watch = watch  # run beside the reconciler: coverage gaps (escalation/gaps.py)
        self.clock = clock
        self.queue = queue
        self.ladder = ladder
        self.lease = lease
        self.batch = batch
        self._claimed: list = []  # jobs for claims made, not yet taken by Redis
        self._unsure: list[Unsure] = []  # claims sent whose answers never came
        self._work = {store.keys.deadlines(): jobs.fire_timers,
                      store.keys.deliveries(): jobs.deliver_notices}

    async def tick(self) -> int:
        """Hand every due timer and delivery to RQ, oldest first; how many were handed
        out. Claims whose jobs Redis did not take, or whose answers it never sent back,
        are handed out first on the next tick, not left to their lease."""
        now = self.clock.now()
        handed = self._hand_over() + await self._recover()
        for queue_key in self._work:
            while claimed := await self._claim(queue_key, now):
                self._prepare(queue_key, claimed)
                handed += self._hand_over()
        return handed

    async def _claim(self, queue_key: str, now: float) -> list[tuple[str, float]]:
        """A claim under a fresh token, remembered until its answer is in: should the
        call fail, Redis may still run it (a stalled server runs what it was sent when
        it wakes), and the token finds what it took."""
        token = secrets.token_hex(8)
        self._unsure.append(Unsure(queue_key, token))
        claimed = await self.store.timers.claim(queue_key, now, self.lease, self.batch, token)
        self._unsure.pop()
        return claimed

    async def _recover(self) -> int:
        """The entries of claims whose answers were lost, looked up a few ticks running
        (the stalled call may run after the first look), then forgotten."""
        found = 0
        for unsure in list(self._unsure):
            claimed = await self.store.timers.claimed_by(unsure.queue, unsure.token)
            unsure.looks += 1
            if claimed or unsure.looks >= LOOKS:
                self._unsure.remove(unsure)
            if claimed:
                log.warning("ticker: %d entries of a claim whose answer was lost are handed "
                            "out now", len(claimed))
                self._prepare(unsure.queue, claimed)
                found += self._hand_over()
        return found

    def _prepare(self, queue_key: str, claimed: list[tuple[str, float]]) -> None:
        job = self._work[queue_key]
        self._claimed += [Queue.prepare_data(
            job, args=([m for m, _ in chunk],),
            job_id=job_id(job.__name__, *chunk[0], len(chunk)),
            result_ttl=60, failure_ttl=86400)
            for chunk in (claimed[i:i + CHUNK] for i in range(0, len(claimed), CHUNK))]

    def _hand_over(self) -> int:
        """Enqueue the jobs of the claims made; how many entries they carry."""
        if not self._claimed:
            return 0
        self.queue.enqueue_many(self._claimed)
        handed = sum(len(data.args[0]) for data in self._claimed)
        self._claimed = []
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

    async def maintain(self) -> None:
        """The reconciler's run, then the watch over coverage gaps (when there is one)."""
        await self.reconcile()
        if self.watch is not None:
            await self.watch()

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
        return (*names, *self.ladder.milestones(policy))  # until recorded (t: field gone)

    async def pause(self, interval: float) -> float:
        """How long to sleep before the next tick: until the earliest entry falls due, at
        most ``interval`` (entries added meanwhile are seen within it)."""
        soonest = await self.store.timers.soonest((self.store.keys.deadlines(),
                                                   self.store.keys.deliveries()))
        wait = interval if soonest is None else soonest - self.clock.now()
        return min(interval, max(wait, 0.0))

    async def run(self, stop: threading.Event, *, interval: float = INTERVAL,
                  reconcile_every: float = 60.0) -> None:
        """Tick until ``stop``, leaving a heartbeat after each completed cycle. A Redis
        outage is waited out (hub.loops); anything else is raised, and the process must
        end. The reconciler runs beside the ticks (at start and every ``reconcile_every``
        seconds), so a big index never delays a due step."""
        reconciling = Reconciling(self, reconcile_every)

        async def cycle() -> float:
            await self.tick()
            await self.reap()
            reconciling.poll()
            return await self.pause(interval)

        try:
            await keep_going("ticker", cycle, stop,
                             done=Heartbeat(self.store, self.clock, "ticker"))
        finally:
            reconciling.cancel()


class Reconciling:
    """The reconciler's runs beside the ticks, one at a time, ``every`` seconds apart. An
    outage only puts a run off until the next; any other failure is raised to the
    ticker."""

    def __init__(self, ticker: Ticker, every: float):
        self.ticker = ticker
        self.every = every
        self.task: asyncio.Task | None = None
        self.started = float("-inf")

    def poll(self) -> None:
        if self.task is not None and self.task.done():
            error, self.task = self.task.exception(), None
            if error is not None and not isinstance(error, TRANSIENT_ERRORS):
                raise error
            if error is not None:
                log.warning("reconcile failed (Redis unavailable); it runs again within a "
                            "minute")
        now = self.ticker.clock.now()
        if self.task is None and now - self.started >= self.every:
            self.task = asyncio.create_task(self.ticker.maintain())
            self.started = now

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
