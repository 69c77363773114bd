"""Timer queues (the deadline index and the notice deliveries): claimed under a lease by
the ticker, returned by the reaper when a worker dies, finished by the job that fired."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from hub.models import HistoryEvent, Referral

from .codec import dumps, items, number, packed, real, text
from .engine import lateness_bucket
from .keys import Keys
from .scripts import Scripts


class TimerStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def claim(self, queue: str, now: float, lease: float, limit: int,
                    token: str = "") -> list[tuple[str, float]]:
        """Claim up to ``limit`` due entries (member, due), oldest first, for ``lease``
        seconds. With a ``token``, a claim that took entries leaves a record of them
        (`claimed_by`), for when its answer is lost."""
        flat = await self._s.claim_due(
            queue=queue, claimed=self._k.inflight(queue),
            record=self._k.claim_record(queue, token or "-"), now=now, lease_until=now + lease,
            most=limit, keep_for=lease if token else 0)
        return _pairs(items(flat))

    async def claimed_by(self, queue: str, token: str) -> list[tuple[str, float]]:
        """What the claim made under ``token`` took (its record is read once)."""
        raw = await self._r.getdel(self._k.claim_record(queue, token))
        return _pairs(json.loads(raw)) if raw else []

    async def reap(self, queue: str, now: float, limit: int = 1000) -> int:
        return number(await self._s.reap(claimed=self._k.inflight(queue), queue=queue,
                                         now=now, most=limit))

    async def release(self, queue: str, member: str) -> None:
        await self._r.zrem(self._k.inflight(queue), member)

    async def requeue(self, queue: str, member: str, due: float) -> None:
        """Give a claim back to be fired again at ``due`` (a stale step whose timer still
        runs, or a notice to retry)."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.zrem(self._k.inflight(queue), member)
            pipe.zadd(queue, {member: due})
            await pipe.execute()

    async def advance(self, referral: Referral, member: str, *, timer_field: str,
                      generation: int,
                      next_state: str | None, next_due: float, now: float,
                      first_notice: HistoryEvent | None, due: float,
                      skipped: tuple[HistoryEvent, ...] = ()) -> str:
        """'ok', 'lost' (no longer ours), 'gone' (the referral was purged) or 'stale'.
        A rung that fell ``due`` is counted in the lateness histogram when it is 'ok'.
        ``skipped``: history events of rungs passed over (no one on duty for them)."""
        k, rid = self._k, referral.id
        late = max(0.0, now - due)
        result = await self._s.advance_timer(
            ref=k.referral(rid), deadlines=k.deadlines(), claimed=k.inflight(k.deadlines()),
            changed_in=k.changed_in(referral.destination),
            changed_out=k.changed_out(referral.sender_agency), rid=rid,
            history=k.history(rid), lateness=k.engine_lateness(),
            member=member, timer_field=timer_field, generation=generation,
            next_state=next_state or "", next_due=next_due, now=now,
            first_notice=dumps(first_notice) if first_notice else "", late=f"{late:.3f}",
            bucket=lateness_bucket(late), skipped=packed([dumps(e) for e in skipped]))
        return text(result)

    async def flag_alerted(self, rid: str, now: float) -> None:
        """A coordinator's notice of ``rid`` went out."""
        await self._r.zadd(self._k.alerted(), {rid: now}, nx=True)

    async def flag_stalled(self, rid: str, now: float) -> None:
        """A notice for ``rid`` reached nobody: the person had no contact left."""
        await self._r.zadd(self._k.stalled(), {rid: now}, nx=True)

    async def stalled(self) -> list[str]:
        return [text(r) for r in await self._r.zrange(self._k.stalled(), 0, -1)]

    async def alerted(self) -> list[str]:
        """Referrals a notice of which went out to a coordinator."""
        return [text(r) for r in await self._r.zrange(self._k.alerted(), 0, -1)]

    async def due(self, queue: str, member: str) -> float | None:
        """When a member is due, or None when it is neither queued nor claimed."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zscore(queue, member)
            pipe.zscore(self._k.inflight(queue), member)
            queued, claimed = await pipe.execute()
        score = queued if queued is not None else claimed
        return None if score is None else real(score)

    async def soonest(self, queues: tuple[str, ...]) -> float | None:
        """When the earliest entry of any of ``queues`` falls due (None when all are empty)."""
        async with self._r.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.zrange(queue, 0, 0, withscores=True)
            firsts = [score for rows in await pipe.execute() for _, score in rows]
        return min(firsts, default=None)

    async def schedule_missing(self, entries: dict[str, float]) -> int:
        """Add timers that are in neither the queue nor the claimed set (the reconciler)."""
        queue = self._k.deadlines()
        members = list(entries)
        async with self._r.pipeline(transaction=False) as pipe:
            for member in members:
                pipe.zscore(queue, member)
                pipe.zscore(self._k.inflight(queue), member)
            scores = await pipe.execute()
        missing = {m: entries[m] for i, m in enumerate(members)
                   if scores[2 * i] is None and scores[2 * i + 1] is None}
        return number(await self._r.zadd(queue, missing, nx=True)) if missing else 0

    async def size(self, queue: str) -> tuple[int, int]:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zcard(queue)
            pipe.zcard(self._k.inflight(queue))
            queued, claimed = await pipe.execute()
        return queued, claimed


def _pairs(flat: list[object]) -> list[tuple[str, float]]:
    """[member, score, member, score...] as (member, score) pairs."""
    return [(text(flat[i]), real(flat[i + 1])) for i in range(0, len(flat), 2)]
