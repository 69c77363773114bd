"""What the coordinators' dashboard reads and writes: the obligations index (what each
open referral owes, by when) with the routing cards it is filtered by, the figures counted
per agency and day, and the few marks coordinators leave on a referral (a nudge's rate
limit, a team meeting's review)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent, HistoryEvent

from .codec import dumps
from .keys import Keys


@dataclass(frozen=True)
class Owed:
    """One deadline an open referral owes: ``timer`` is ``ack`` or ``fu:NAME``."""

    rid: str
    timer: str
    due: float


@dataclass(frozen=True)
class DayFigures:
    counts: dict[str, int]
    ack_seconds: list[float]


class OversightStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def owed(self, until: float) -> list[Owed]:
        """Every deadline due at or before ``until``, soonest first."""
        rows = await self._r.zrangebyscore(self._k.obligations(), "-inf", until,
                                           withscores=True)
        out = []
        for value, score in rows:
            rid, _, timer = value.decode().partition(":")
            out.append(Owed(rid, timer, score))
        return out

    async def owed_by(self, members: Sequence[str]) -> list[Owed]:
        """Which of ``members`` (``{rid}:{timer}``) are still owed, and by when."""
        if not members:
            return []
        scores = await self._r.zmscore(self._k.obligations(), list(members))
        return [Owed(*m.split(":", 1), due) for m, due in zip(members, scores, strict=True)
                if due is not None]

    async def cards(self, rids: Sequence[str]) -> list[str | None]:
        """Each referral's routing card (see store/referrals.py ``card``), in order."""
        if not rids:
            return []
        return [c.decode() if c is not None else None
                for c in await self._r.hmget(self._k.cards(), list(rids))]

    async def counts(self, now: float, soon: float) -> tuple[int, int, int]:
        """How many deadlines are past, how many fall due by ``soon``, how many are flagged
        stalled: a cheap signature of the queue, for live updates."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zcount(self._k.obligations(), "-inf", now)
            pipe.zcount(self._k.obligations(), "-inf", soon)
            pipe.zcard(self._k.stalled())
            past, coming, stalled = await pipe.execute()
        return int(past), int(coming), int(stalled)

    async def details(self, rids: Sequence[str]) -> list[tuple[dict[str, str], dict[str, str]]]:
        """For each referral: its record and its latest notice (empty when none)."""
        k = self._k
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hgetall(k.referral(rid))
                pipe.lindex(k.notices_of(rid), -1)
            rows = await pipe.execute()
        records = [_text(rows[i]) for i in range(0, len(rows), 2)]
        latest = [n.decode() if n else None for n in rows[1::2]]
        async with self._r.pipeline(transaction=False) as pipe:
            for nid in latest:
                pipe.hgetall(k.notice(nid or "-"))
            notices = [_text(n) for n in await pipe.execute()]
        return list(zip(records, notices, strict=True))

    async def stalled(self, rids: Sequence[str]) -> list[bool]:
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.zscore(self._k.stalled(), rid)
            return [s is not None for s in await pipe.execute()]

    async def figures(self, agencies: Sequence[str], days: Sequence[str]
                      ) -> dict[str, list[DayFigures]]:
        """Each agency's counters and acknowledgement times on each of ``days``."""
        k = self._k
        async with self._r.pipeline(transaction=False) as pipe:
            for agency in agencies:
                for day in days:
                    pipe.hgetall(k.figures(agency, day))
                    pipe.lrange(k.ack_times(agency, day), 0, -1)
            rows = iter(await pipe.execute())
        out: dict[str, list[DayFigures]] = {}
        for agency in agencies:
            out[agency] = [DayFigures({f.decode(): int(v) for f, v in next(rows).items()},
                                      [float(s) for s in next(rows)]) for _ in days]
        return out

    async def open_counts(self) -> dict[str, int]:
        rows = await self._r.hgetall(self._k.open_counts())
        return {agency.decode(): int(n) for agency, n in rows.items()}

    async def take_nudge(self, rid: str, until: float) -> bool:
        """True if no nudge of ``rid`` is fresh; then this one is, until ``until``."""
        return bool(await self._r.set(self._k.nudged(rid), "1", nx=True, exat=int(until) + 1))

    async def review(self, rid: str, fields: dict[str, str], history: HistoryEvent,
                     audit: AuditEvent) -> bool:
        """Record a team meeting's review on the referral (False if it is gone)."""
        k = self._k
        if not await self._r.exists(k.referral(rid)):
            return False
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(k.referral(rid), mapping=fields)
            pipe.rpush(k.history(rid), dumps(history))
            pipe.xadd(k.audit(), {"event": dumps(audit)})
            await pipe.execute()
        return True


def _text(row: dict[bytes, bytes]) -> dict[str, str]:
    return {key.decode(): value.decode() for key, value in row.items()}
