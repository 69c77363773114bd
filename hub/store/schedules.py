"""The live layer of the on-duty schedules: overrides and away periods agency admins add
(schedules.toml is the base layer, read at start-up), each change stored with its audit
event in one MULTI/EXEC (offboarding deletes a person's: hub/store/access.py); and the
coverage gaps each agency's admins were told of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import orjson
from redis.asyncio import Redis
from redis.exceptions import WatchError

from hub.models import AuditEvent

from .codec import dumps, items, text
from .keys import Keys


@dataclass(frozen=True)
class LiveEntry:
    """An override (``duty`` set) or an away period (``duty`` '') added live."""

    id: str
    person: str
    start: float
    end: float
    duty: str
    by: str
    at: float


class ScheduleStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def entries(self, agency: str) -> list[LiveEntry]:
        return _sorted(await self._r.hgetall(self._k.schedule(agency)))

    async def live(self, agency: str) -> tuple[list[LiveEntry], frozenset[str]]:
        """The live entries, and the people who left the agency (offboarded: on duty
        nowhere, whatever a layer of schedules.toml says), read together."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._k.schedule(agency))
            pipe.smembers(self._k.offboarded(agency))
            raw, left = await pipe.execute()
        return _sorted(raw), frozenset(text(p) for p in left)

    async def add(self, agency: str, entry: LiveEntry, audit: AuditEvent) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.schedule(agency), entry.id, orjson.dumps(asdict(entry)))
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def remove(self, agency: str, entry_id: str, audit: AuditEvent) -> bool:
        """False (and nothing written) when the agency has no such entry."""
        key = self._k.schedule(agency)
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    if not await pipe.hexists(key, entry_id):
                        await pipe.reset()
                        return False
                    pipe.multi()
                    pipe.hdel(key, entry_id)
                    pipe.xadd(self._k.audit(), {"event": dumps(audit)})
                    await pipe.execute()
                    return True
                except WatchError:  # changed meanwhile: decide again
                    continue

    async def prune(self, agency: str, before: float) -> None:
        """Forget live entries that ended before ``before`` (they cover nothing any more)."""
        gone = [e.id for e in await self.entries(agency) if e.end < before]
        if gone:
            await self._r.hdel(self._k.schedule(agency), *gone)

    async def told_gaps(self, agency: str, after: float) -> list[tuple[float, float]]:
        """The gaps the agency's admins were told of that end after ``after``."""
        key = self._k.schedule_gaps(agency)
        await self._r.zremrangebyscore(key, "-inf", f"({after}")
        return [_gap(text(m)) for m in items(await self._r.zrange(key, 0, -1))]

    async def tell_gap(self, agency: str, start: float, end: float) -> bool:
        """Record that the admins are told of a gap; False when they were already."""
        return bool(await self._r.zadd(self._k.schedule_gaps(agency),
                                       {f"{start:.0f}-{end:.0f}": end}, nx=True))


def _sorted(raw: Mapping[bytes | str, bytes | str]) -> list[LiveEntry]:
    return sorted((LiveEntry(**orjson.loads(v)) for v in raw.values()),
                  key=lambda e: (e.start, e.id))


def _gap(member: str) -> tuple[float, float]:
    start, _, end = member.partition("-")
    return float(start), float(end)
