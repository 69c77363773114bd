"""The engine's heartbeats, the lateness of the rungs it fired, and the dead man's switch's
shared state. Each loop records when it last completed a cycle; the web processes read
them to tell whether escalation is running."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from redis.asyncio import Redis

from .codec import items, real, text
from .keys import Keys
from .scripts import Scripts

# Upper bounds (seconds) of the lateness histogram's buckets, as Prometheus counts them.
LATENESS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)
WORKERS_KEPT = 86400.0  # a worker not heard of for a day is dropped from the list


def lateness_bucket(seconds: float) -> str:
    """The histogram field a rung this late is counted in."""
    for bound in LATENESS_BUCKETS:
        if seconds <= bound:
            return f"le:{bound:g}"
    return "le:inf"


@dataclass(frozen=True)
class Lateness:
    """How late the rungs fired: bucket counts (not cumulative), their number and sum, and
    the latest one's."""

    buckets: dict[str, int]
    count: int
    total: float
    last: float | None


@dataclass(frozen=True)
class Beats:
    """What the engine's loops last did, as Redis holds it."""

    ticker: float | None  # when a ticker last completed a cycle
    sealer: float | None
    workers: int  # workers heard of since the time asked about
    newest_worker: float | None  # when the most recent worker beat was
    backlog: int  # audit events waiting to be sealed
    lateness: Lateness


def _float(raw: bytes | None) -> float | None:
    return None if raw is None else float(raw)


class EngineStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def beat(self, loop: str, now: float) -> None:
        """``loop`` ('ticker', 'sealer') completed a cycle at ``now``."""
        await self._r.zadd(self._k.engine_beats(), {loop: now}, gt=True)

    async def beats(self, since: float) -> Beats:
        """The heartbeats, with the workers counted that beat after ``since``."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zmscore(self._k.engine_beats(), ["ticker", "sealer"])
            pipe.zcount(self._k.engine_workers(), since, "+inf")
            pipe.zrange(self._k.engine_workers(), -1, -1, withscores=True)
            pipe.xlen(self._k.audit())
            pipe.hgetall(self._k.engine_lateness())
            (ticker, sealer), workers, newest, backlog, late = await pipe.execute()
        return Beats(ticker, sealer, workers, newest[0][1] if newest else None, backlog,
                     _lateness(late))

    async def alarm(self, now: float, ran: float, stale: float, every: float
                    ) -> tuple[str, float]:
        """The dead man's switch, decided once for every web process, given when the
        engine last ran: ('alert', since) to the one that must tell the operators now
        (stale, and they were not told in the last ``every`` seconds), ('resumed', since)
        to the one that must tell them it runs again (since: when the outage began),
        ('stale', ran) or ('running', ran) otherwise."""
        state, since = items(await self._s.engine_alarm(
            alarm=self._k.engine_alarm(), now=now, ran=repr(ran), stale=stale, every=every))
        return text(state), real(since)


def _lateness(raw: dict[bytes, bytes]) -> Lateness:
    fields = {k.decode(): v for k, v in raw.items()}
    buckets = {k: int(v) for k, v in fields.items() if k.startswith("le:")}
    return Lateness(buckets, int(fields.get("count", 0)), float(fields.get("sum", 0)),
                    _float(fields.get("last")))


class WorkerBeat:
    """An RQ worker's heartbeat, written on RQ's own synchronous client: at most once per
    ``every`` seconds, and the workers gone for a day forgotten on the way."""

    def __init__(self, client: redis.Redis, keys: Keys, name: str, every: float = 1.0):
        self._r = client
        self._k = keys
        self._name = name
        self._every = every
        self._last = float("-inf")

    def __call__(self, now: float) -> None:
        if now - self._last < self._every:
            return
        with self._r.pipeline(transaction=False) as pipe:
            pipe.zadd(self._k.engine_workers(), {self._name: now})
            pipe.zremrangebyscore(self._k.engine_workers(), "-inf", now - WORKERS_KEPT)
            pipe.execute()
        self._last = now
