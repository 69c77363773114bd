"""What operators and the web's start-up checks ask of the storage: whether Redis answers,
whether it keeps every write (AOF, fsync always), how many replicas it has, and inbox
depth per agency (metadata only)."""

from __future__ import annotations

from hub.routing.ccr import Ccr
from hub.store import Store


class MonitorService:
    def __init__(self, *, store: Store, ccr: Ccr):
        self._store = store
        self._ccr = ccr

    async def inbox_depths(self) -> dict[str, int]:
        return {a.id: await self._store.referrals.count(self._store.keys.inbox(a.id))
                for a in self._ccr.agencies}

    async def redis_answers(self) -> bool:
        """Whether Redis answers at all (False rather than an error)."""
        try:
            return await self._store.ping()
        except Exception:  # any failure is the answer: it does not
            return False

    async def durable(self) -> tuple[bool, str]:
        """Whether Redis appends every write to its AOF and fsyncs it; if not, what to set
        so that an acknowledged referral survives a crash."""
        config = await self._store.durability()
        if config.get("appendonly") == "yes" and config.get("appendfsync") == "always":
            return True, ""
        return False, (f"Redis has appendonly={config.get('appendonly')} "
                       f"appendfsync={config.get('appendfsync')}; set 'appendonly yes' and "
                       "'appendfsync always' so that an acknowledged referral survives a crash")

    async def replicas(self) -> int:
        """How many replicas the primary has connected now."""
        return await self._store.replicas()
