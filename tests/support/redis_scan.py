"""Reading back everything a test's key prefix holds, to assert what is (not) in Redis."""

from __future__ import annotations

from redis.asyncio import Redis


async def dump_values(redis: Redis, prefix: str) -> dict[bytes, bytes]:
    """Every key under the prefix with its whole value, whatever its type, as bytes."""
    out: dict[bytes, bytes] = {}
    async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        kind = (await redis.type(key)).decode()
        if kind == "string":
            value = await redis.get(key)
        elif kind == "hash":
            value = repr(sorted((await redis.hgetall(key)).items())).encode()
        elif kind == "list":
            value = repr(await redis.lrange(key, 0, -1)).encode()
        elif kind == "set":
            value = repr(sorted(await redis.smembers(key))).encode()
        elif kind == "zset":
            value = repr(await redis.zrange(key, 0, -1, withscores=True)).encode()
        elif kind == "stream":
            value = repr(await redis.xrange(key)).encode()
        else:
            value = kind.encode()
        out[key] = value
    return out
