"""The only package that imports redis. Key names live in keys.py; state changes are Lua."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import (
    MasterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    TryAgainError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from .access import AccessStore
from .audit import AuditStore
from .checklists import ChecklistStore, SetupFacts
from .claims import ClaimStore
from .connection import redis_at
from .directory import DirectoryStore
from .drills import DrillRecord, DrillStore
from .engine import EngineStore
from .flood import FloodStore
from .grants import GrantStore, StoredGrant
from .keys import Keys
from .mdt import MdtStore
from .milestones import MilestoneStore
from .notices import NoticeStore
from .oversight import OversightStore
from .push import PushStore
from .referrals import Deadline, DeadlineChanges, ReferralStore, Span, TransitionResult
from .replication import Replication, ReplicaUnconfirmed
from .schedules import ScheduleStore
from .scripts import Scripts
from .sessions import SessionStore
from .smart import SmartStore
from .subscriptions import SubscriptionStore
from .threads import ThreadStore
from .timers import TimerStore

__all__ = ["REDIS_ERRORS", "TRANSIENT_ERRORS", "Deadline", "DeadlineChanges", "DrillRecord",
           "SetupFacts", "Span", "Store", "StoredGrant", "TransitionResult", "connect"]

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError, RedisTimeoutError, ReadOnlyError, MasterDownError, TryAgainError,
    OutOfMemoryError, ReplicaUnconfirmed)
"""Errors that mean 'Redis is unavailable right now' (down, stalled, still loading its data,
a connection still on a primary that a failover demoted, full under noeviction, no replica
confirming): the web layer answers 503, the engine's loops wait and try again."""

REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError,)
"""Anything Redis raised or answered."""


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
    engine: EngineStore
    scripts: Scripts
    grants: GrantStore
    schedules: ScheduleStore
    claims: ClaimStore
    push: PushStore
    smart: SmartStore
    subscriptions: SubscriptionStore
    drills: DrillStore
    checklists: ChecklistStore
    milestones: MilestoneStore
    mdt: MdtStore

    @classmethod
    def open(cls, redis: Redis, prefix: str = "ccr", replication: Replication | None = None
             ) -> Store:
        keys, scripts = Keys(prefix), Scripts(redis, replication)
        return cls(redis, keys, ReferralStore(redis, keys, scripts),
                   ThreadStore(redis, keys, scripts), DirectoryStore(redis, keys, scripts),
                   AccessStore(redis, keys, scripts), AuditStore(redis, keys, scripts),
                   TimerStore(redis, keys, scripts), NoticeStore(redis, keys, scripts),
                   FloodStore(redis, keys, scripts), OversightStore(redis, keys),
                   SessionStore(redis, keys), EngineStore(redis, keys, scripts), scripts,
                   GrantStore(redis, keys, scripts), ScheduleStore(redis, keys),
                   ClaimStore(redis, keys, scripts), PushStore(redis, keys),
                   SmartStore(redis, keys), SubscriptionStore(redis, keys),
                   DrillStore(redis, keys), ChecklistStore(redis, keys),
                   MilestoneStore(redis, keys, scripts), MdtStore(redis, keys, scripts))

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def replicated(self) -> None:
        """Return once the replicas hold every write made so far (at once when the store
        does not wait for replicas); ReplicaUnconfirmed when they do not in time."""
        await self.scripts.trips.confirm(self.keys.replication_mark())

    async def replicas(self) -> int:
        """How many replicas the primary has connected now."""
        info = await self.redis.info("replication")
        return int(info.get("connected_slaves", 0))

    async def durability(self) -> dict[str, str]:
        """Redis's persistence settings, for the production start-up check."""
        appendonly = await self.redis.config_get("appendonly")
        fsync = await self.redis.config_get("appendfsync")
        return {k: v for k, v in (appendonly | fsync).items() if k is not None and v is not None}

    async def close(self) -> None:
        await self.redis.aclose()


def connect(url: str, prefix: str = "ccr", *, timeout: float = 3.0, replicas: int = 0,
            lenient: bool = False) -> Store:
    """A store on the Redis at ``url``. A command that gets no answer within ``timeout``
    seconds (a stalled server) raises a TRANSIENT_ERRORS error instead of waiting on. With
    ``replicas``, a state change is answered once that many replicas hold it on their AOF
    (``lenient``: the engine's way, which goes on without them; replication.py)."""
    replication = Replication(replicas, timeout / 3, strict=not lenient) if replicas else None
    return Store.open(redis_at(url, timeout=timeout), prefix, replication)
