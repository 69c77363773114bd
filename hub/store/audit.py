"""The audit log. Every audit event goes through ``append`` here or through the same
XADD inside a state-change script, so the tamper-evident chain (issue 6) has one place
to live."""

from __future__ import annotations

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import dumps
from .keys import Keys


class AuditStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def append(self, event: AuditEvent) -> None:
        await self._r.xadd(self._k.audit(), {"event": dumps(event)})

    async def events(self, *, referral: str | None = None, count: int = 10_000) -> list[AuditEvent]:
        rows = await self._r.xrange(self._k.audit(), count=count)
        events = [AuditEvent.model_validate_json(fields[b"event"]) for _, fields in rows]
        return [e for e in events if referral is None or e.referral == referral]

    async def length(self) -> int:
        return await self._r.xlen(self._k.audit())
