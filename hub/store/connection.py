"""How the store connects to Redis: redis-py's asyncio client, with commands packed by
hiredis. redis-py's synchronous connections already pack with hiredis when it is installed
(its HiredisRespSerializer); its asyncio ones pack in Python, which was a sixth of the
submit path's time in the hub. The bytes on the wire are the same. RQ, which runs the
background jobs, takes a synchronous client of its own."""

from __future__ import annotations

import redis
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.connection import HiredisRespSerializer

_SERIALIZER = HiredisRespSerializer()


class _HiredisPacking:
    def pack_command(self, *args: object) -> list[bytes]:
        return _SERIALIZER.pack(*args)


_PACKING = {base: type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})
            for base in (Connection, SSLConnection, UnixDomainSocketConnection)}


def redis_at(url: str, *, timeout: float) -> Redis:
    """A client for ``url`` whose commands get no answer within ``timeout`` seconds (a
    stalled server) raise a TRANSIENT_ERRORS error instead of waiting on."""
    pool = ConnectionPool.from_url(url, socket_connect_timeout=min(2.0, timeout),
                                   socket_timeout=timeout, health_check_interval=30)
    pool.connection_class = _PACKING[pool.connection_class]
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


def jobs_redis_at(url: str) -> redis.Redis:
    """The synchronous client RQ's queue and workers run on."""
    return redis.Redis.from_url(url)
