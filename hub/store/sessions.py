"""Browser sessions: kept under the hash of the cookie's value (so the store never holds a
usable session id), expiring after the idle limit unless touched."""

from __future__ import annotations

from redis.asyncio import Redis

from .codec import as_hash, text_fields
from .keys import Keys


class SessionStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def create(self, digest: str, fields: dict[str, str], idle: int) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.session(digest), mapping=as_hash(fields))
            pipe.expire(self._k.session(digest), idle)
            await pipe.execute()

    async def get(self, digest: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.session(digest))
        return text_fields(row) if row else None

    async def touch(self, digest: str, last_seen: float, idle: int) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.session(digest), "last_seen", str(last_seen))
            pipe.expire(self._k.session(digest), idle)
            await pipe.execute()

    async def delete(self, digest: str) -> None:
        await self._r.delete(self._k.session(digest))
