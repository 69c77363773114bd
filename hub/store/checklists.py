"""What the checklists read that the hub holds nowhere else: what a person's device page
said of its own setup (keys made in that browser, which agencies' roots it pinned: the
keys and the pins themselves stay on the device), when the person finished their first
drill, and which agencies have done a drill. Ids and times only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import dumps, text
from .keys import Keys


@dataclass(frozen=True)
class SetupFacts:
    device_made_at: float | None
    pinned: frozenset[str]  # agency ids
    drill_done_at: float | None


class ChecklistStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def facts(self, person: str) -> SetupFacts:
        made, pinned, drilled = await self._r.hmget(self._k.setup(person),
                                                    ["device_made", "pinned", "drill_done"])
        return SetupFacts(float(made) if made else None,
                          frozenset(p for p in text(pinned or "").split(",") if p),
                          float(drilled) if drilled else None)

    async def report(self, person: str, *, device_made_at: float | None,
                     pinned: Iterable[str], audit: AuditEvent) -> None:
        """What the person's device page says now (keys made there: when first said)."""
        key = self._k.setup(person)
        async with self._r.pipeline(transaction=True) as pipe:
            if device_made_at is not None:
                pipe.hsetnx(key, "device_made", repr(device_made_at))
            pipe.hset(key, "pinned", ",".join(sorted(pinned)))
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def drill_done(self, person: str, agency: str, at: float,
                         audit: AuditEvent) -> None:
        """The person (and so their agency) finished a drill; the first time is kept."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self._k.setup(person), "drill_done", repr(at))
            pipe.hsetnx(self._k.drilled_agencies(), agency, repr(at))
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def drilled(self, agencies: Iterable[str]) -> frozenset[str]:
        wanted = list(agencies)
        if not wanted:
            return frozenset()
        found = await self._r.hmget(self._k.drilled_agencies(), wanted)
        return frozenset(a for a, at in zip(wanted, found, strict=True) if at)

    async def roots(self, agencies: Iterable[str]) -> frozenset[str]:
        """Of ``agencies``, those whose root the hub has registered."""
        wanted = list(agencies)
        if not wanted:
            return frozenset()
        found = await self._r.mget([self._k.root(a) for a in wanted])
        return frozenset(a for a, root in zip(wanted, found, strict=True) if root)
