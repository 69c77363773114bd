"""API tokens (stored only as hashes) and the counters that rate-limit failed sign-ins."""

from __future__ import annotations

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import dumps
from .keys import Keys


class AccessStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def put_token(self, token_id: str, person: str, fields: dict[str, str],
                        audit: AuditEvent) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.token(token_id), mapping=fields)
            pipe.sadd(self._k.person_tokens(person), token_id)
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def token(self, token_id: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.token(token_id))
        return {k.decode(): v.decode() for k, v in row.items()} if row else None

    async def revoke_token(self, token_id: str, person: str, audit: AuditEvent) -> bool:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._k.token(token_id))
            pipe.srem(self._k.person_tokens(person), token_id)
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def tokens_of(self, person: str) -> list[str]:
        return sorted(t.decode() for t in await self._r.smembers(self._k.person_tokens(person)))

    async def record_failure(self, scopes: dict[str, str], window: int,
                             audit: AuditEvent) -> list[int]:
        """Count a failed sign-in in each scope (atomically); the counts, this one included."""
        async with self._r.pipeline(transaction=True) as pipe:
            for scope, value in scopes.items():
                key = self._k.auth_failures(scope, value)
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            results = await pipe.execute()
        return [int(n) for n in results[0:-1:2]]
