"""The only package that imports redis. Key names live in keys.py; state changes are Lua."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .access import AccessStore
from .audit import AuditStore
from .connection import redis_at
from .directory import DirectoryStore
from .flood import FloodStore
from .keys import Keys
from .notices import NoticeStore
from .oversight import OversightStore
from .referrals import Deadline, DeadlineChanges, ReferralStore, TransitionResult
from .scripts import Scripts
from .sessions import SessionStore
from .threads import ThreadStore
from .timers import TimerStore

__all__ = ["TRANSIENT_ERRORS", "Deadline", "DeadlineChanges", "Store", "TransitionResult",
           "connect"]

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
"""Errors that mean 'Redis is unavailable right now': the web layer answers 503."""


@dataclass
class Store:
    redis: Redis
    keys: Keys
    referrals: ReferralStore
    threads: ThreadStore
    directory: DirectoryStore
    access: AccessStore
    audit: AuditStore
    timers: TimerStore
    notices: NoticeStore
    flood: FloodStore
    oversight: OversightStore
    sessions: SessionStore

    @classmethod
    def open(cls, redis: Redis, prefix: str = "ccr") -> Store:
        keys, scripts = Keys(prefix), Scripts(redis)
        return cls(redis, keys, ReferralStore(redis, keys, scripts),
                   ThreadStore(redis, keys, scripts), DirectoryStore(redis, keys, scripts),
                   AccessStore(redis, keys, scripts), AuditStore(redis, keys, scripts),
                   TimerStore(redis, keys, scripts), NoticeStore(redis, keys, scripts),
                   FloodStore(redis, keys, scripts), OversightStore(redis, keys),
                   SessionStore(redis, keys))

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def durability(self) -> dict[str, str]:
        """Redis's persistence settings, for the production start-up check."""
        appendonly = await self.redis.config_get("appendonly")
        fsync = await self.redis.config_get("appendfsync")
        return {**appendonly, **fsync}

    async def close(self) -> None:
        await self.redis.aclose()


def connect(url: str, prefix: str = "ccr", *, timeout: float = 3.0) -> Store:
    """A store on the Redis at ``url``. A command that gets no answer within ``timeout``
    seconds (a stalled server) raises a TRANSIENT_ERRORS error instead of waiting on."""
    return Store.open(redis_at(url, timeout=timeout), prefix)
