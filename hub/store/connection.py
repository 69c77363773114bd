"""How the store connects to Redis: redis-py's asyncio client, with commands packed by
hiredis. redis-py's synchronous connections already pack with hiredis when it is installed
(its HiredisRespSerializer); its asyncio ones pack in Python, which was a sixth of the
submit path's time in the hub. The bytes on the wire are the same. RQ, which runs the
background jobs, takes a synchronous client of its own.

A ``redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTER[/DB]`` URL names a primary that Redis
Sentinel manages: both clients ask the sentinels where the primary is, and ask again when
a connection fails or finds a demoted primary (a failover), so they follow it. A password
in the URL (``redis+sentinel://:PASSWORD@...``) is the data nodes', not the sentinels'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import unquote, urlsplit

import redis
import redis.sentinel
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.asyncio.sentinel import Sentinel, SentinelManagedConnection
from redis.connection import HiredisRespSerializer
from redis.utils import SENTINEL

_SERIALIZER = HiredisRespSerializer()
SENTINEL_SCHEMES = ("redis+sentinel", "valkey+sentinel")
SENTINEL_PORT = 26379


class _HiredisPacking:
    def pack_command(self, *args: object) -> list[bytes]:
        # redis-py annotates pack(*args: List), each argument a list; it takes a command's
        # parts (bytes, str, numbers), as its own synchronous pack_command passes them
        packed: list[bytes] = _SERIALIZER.pack(*args)  # type: ignore[arg-type]
        return packed


class HiredisConnection(_HiredisPacking, Connection):
    pass


class HiredisSSLConnection(_HiredisPacking, SSLConnection):
    pass


class HiredisUnixDomainSocketConnection(_HiredisPacking, UnixDomainSocketConnection):
    pass


class HiredisSentinelManagedConnection(_HiredisPacking, SentinelManagedConnection):
    pass


_PACKING: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: HiredisConnection, SSLConnection: HiredisSSLConnection,
    UnixDomainSocketConnection: HiredisUnixDomainSocketConnection,
    SentinelManagedConnection: HiredisSentinelManagedConnection}


class Timeouts(TypedDict):
    """How long a client waits to connect and for an answer, and how often it checks an
    idle connection (seconds)."""

    socket_connect_timeout: float
    socket_timeout: float
    health_check_interval: int


class NodeOptions(TypedDict):
    """What the data nodes behind Sentinel take from a Sentinel URL."""

    db: int
    username: str | None
    password: str | None


@dataclass(frozen=True)
class SentinelUrl:
    """A ``redis+sentinel://`` URL taken apart."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int
    username: str | None
    password: str | None

    @staticmethod
    def parse(url: str) -> SentinelUrl | None:
        """None for a URL of another scheme; ValueError for a malformed one."""
        parts = urlsplit(url)
        if parts.scheme not in SENTINEL_SCHEMES:
            return None
        auth, _, hosts = parts.netloc.rpartition("@")
        user, _, password = auth.partition(":")
        path = [p for p in parts.path.split("/") if p]
        if not hosts or not path or len(path) > 2:
            raise ValueError("a Sentinel URL is redis+sentinel://HOST:PORT[,HOST:PORT...]"
                             "/MASTER[/DB]")
        sentinels = tuple(_host_port(h) for h in hosts.split(","))
        return SentinelUrl(sentinels, unquote(path[0]), int(path[1]) if len(path) > 1 else 0,
                           unquote(user) or None, unquote(password) or None)

    def node_options(self) -> NodeOptions:
        return {"db": self.db, "username": self.username, "password": self.password}


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    return host, int(port) if port else SENTINEL_PORT


class SentinelRedis(Redis):
    """A client of the Sentinel-managed primary that also closes its sentinels' clients."""

    # not ``sentinel``: that is Redis's method sending the SENTINEL command
    sentinels_of: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for client in self.sentinels_of.sentinels if self.sentinels_of else ():
            await client.aclose()


def redis_at(url: str, *, timeout: float) -> Redis:
    """A client for ``url`` whose commands get no answer within ``timeout`` seconds (a
    stalled server) raise a TRANSIENT_ERRORS error instead of waiting on."""
    options = Timeouts(socket_connect_timeout=min(2.0, timeout), socket_timeout=timeout,
                       health_check_interval=30)
    managed = SentinelUrl.parse(url)
    if managed is not None:
        sentinel = Sentinel(list(managed.sentinels), **options)
        client: SentinelRedis = sentinel.master_for(  # redis-py leaves its return untyped
            managed.master, redis_class=SentinelRedis, **options, **managed.node_options(),
            connection_class=_PACKING[SentinelManagedConnection])
        client.sentinels_of = sentinel
        return client
    pool = ConnectionPool.from_url(url, **options)
    pool.connection_class = _PACKING[pool.connection_class]
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


class _DroppedOnError(redis.sentinel.SentinelManagedConnection):
    """redis-py's synchronous Sentinel connection, dropped when a reply fails midway (a
    timeout, a signal) as its plain connection is: redis-py keeps it by default, and the
    next command on it would read the reply it left behind."""

    def read_response(self, disable_decoding: Any = False, *, timeout: float | object = SENTINEL,
                      disconnect_on_error: bool | None = True,
                      push_request: bool | None = False) -> Any:
        return super().read_response(disable_decoding, timeout=timeout,
                                     disconnect_on_error=disconnect_on_error,
                                     push_request=push_request)


def jobs_redis_at(url: str) -> redis.Redis:
    """The synchronous client RQ's queue and workers run on."""
    managed = SentinelUrl.parse(url)
    if managed is None:
        return redis.Redis.from_url(url)
    sentinel = redis.sentinel.Sentinel(
        list(managed.sentinels),
        sentinel_kwargs={"socket_timeout": 2.0, "socket_connect_timeout": 2.0})
    client: redis.Redis = sentinel.master_for(  # redis-py leaves its return untyped
        managed.master, socket_connect_timeout=2.0, connection_class=_DroppedOnError,
        **managed.node_options())
    return client
