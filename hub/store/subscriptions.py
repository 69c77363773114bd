"""FHIR Subscriptions and their rest-hook notifications in Redis. A notification waits in
the notice deliveries queue (member ``hook-{nid}``), so the ticker claims it, a worker
sends it and retries it with the notices' backoff, and a lease lost to a dead worker
returns it (hub/escalation/hooks.py)."""

from __future__ import annotations

from redis.asyncio import Redis

from .codec import as_hash, text, text_fields
from .keys import Keys

HOOK = "hook-"  # a notification's member in the deliveries queue
KEPT = 14 * 86400  # seconds a notification's record is kept (Redis cleans up)


class SubscriptionStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def put(self, sid: str, agency: str, fields: dict[str, str]) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.subscription(sid), mapping=as_hash(fields))
            pipe.sadd(self._k.subscriptions_of(agency), sid)
            await pipe.execute()

    async def get(self, sid: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.subscription(sid))
        return text_fields(row) if row else None

    async def delete(self, sid: str, agency: str) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._k.subscription(sid))
            pipe.srem(self._k.subscriptions_of(agency), sid)
            await pipe.execute()

    async def of_agencies(self, agencies: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
        """Every Subscription of these agencies' systems, with its fields (one round trip
        when there is none, as is usual)."""
        async with self._r.pipeline(transaction=False) as pipe:
            for agency in agencies:
                pipe.smembers(self._k.subscriptions_of(agency))
            found = await pipe.execute()
        sids = sorted({text(s) for members in found for s in members})
        if not sids:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hgetall(self._k.subscription(sid))
            rows = await pipe.execute()
        return [(sid, text_fields(row)) for sid, row in zip(sids, rows, strict=True) if row]

    async def mark(self, sid: str, fields: dict[str, str]) -> None:
        """Change a Subscription's status fields, if it still exists."""
        if await self._r.exists(self._k.subscription(sid)):
            await self._r.hset(self._k.subscription(sid), mapping=as_hash(fields))

    async def notify(self, sid: str, nid: str, fields: dict[str, str], due: float) -> int:
        """Number the Subscription's next event and queue its notification: the number."""
        number = await self._r.hincrby(self._k.subscription(sid), "events", 1)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.hook(nid), mapping=as_hash({**fields, "event": str(number)}))
            pipe.expire(self._k.hook(nid), KEPT)
            pipe.zadd(self._k.deliveries(), {HOOK + nid: due})
            await pipe.execute()
        return int(number)

    async def hook(self, nid: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.hook(nid))
        return text_fields(row) if row else None

    async def update_hook(self, nid: str, fields: dict[str, str]) -> None:
        await self._r.hset(self._k.hook(nid), mapping=as_hash(fields))
