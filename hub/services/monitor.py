"""Figures for operators: inbox depth per agency (metadata only)."""

from __future__ import annotations

from hub.routing.directory import Ccr
from hub.store import Store


class MonitorService:
    def __init__(self, *, store: Store, ccr: Ccr):
        self._store = store
        self._ccr = ccr

    async def inbox_depths(self) -> dict[str, int]:
        return {a.id: await self._store.referrals.count(self._store.keys.inbox(a.id))
                for a in self._ccr.agencies}
