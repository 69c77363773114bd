"""SMART Backend Services in Redis: access tokens kept under the hash of the token (the
store never holds a usable one), and the assertion ids already used, so an assertion is
taken once. Both carry their expiry beside a Redis TTL a little longer: the services
decide on the hub's clock, Redis only cleans up."""

from __future__ import annotations

from redis.asyncio import Redis

from .codec import as_hash, text_fields
from .keys import Keys

SLACK = 60  # seconds Redis keeps a record past its expiry on the hub's clock


class SmartStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def put_token(self, digest: str, fields: dict[str, str], ttl: int) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.smart_token(digest), mapping=as_hash(fields))
            pipe.expire(self._k.smart_token(digest), ttl + SLACK)
            await pipe.execute()

    async def token(self, digest: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.smart_token(digest))
        return text_fields(row) if row else None

    async def first_use(self, client: str, jti: str, ttl: int) -> bool:
        """Whether this is the first time ``client`` presents the assertion ``jti``."""
        return bool(await self._r.set(self._k.smart_assertion(client, jti), "1",
                                      nx=True, ex=max(1, ttl) + SLACK))
