"""The audit log. Every audit event goes through ``append`` here or through the same
XADD inside a state-change script, into the intake stream; the sealer then moves events,
in order, into the sealed log (a hash chain) with ``seal``. Readers see both."""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import dumps
from .keys import Keys
from .scripts import Scripts


@dataclass(frozen=True)
class Head:
    count: int  # entries in the sealed log
    hash: str  # hex hash of the last one ("" before the first)
    id: str  # intake id of the last one sealed ("0" before the first)


@dataclass(frozen=True)
class Sealed:
    id: str
    entry: str  # canonical JSON: seq, id, event, prev
    hash: str
    referral: str | None = None  # the referral the event names (indexed when sealed)


class AuditStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def append(self, event: AuditEvent) -> None:
        await self._r.xadd(self._k.audit(), {"event": dumps(event)})

    # -- sealing ----------------------------------------------------------------------------
    async def head(self) -> Head:
        row = {k.decode(): v.decode() for k, v in
               (await self._r.hgetall(self._k.audit_head())).items()}
        return Head(int(row.get("count", 0)), row.get("hash", ""), row.get("id", "0"))

    async def intake(self, after: str, count: int) -> list[tuple[str, str]]:
        """Events not sealed yet, oldest first: (intake id, event JSON)."""
        rows = await self._r.xrange(self._k.audit(), min=f"({after}", count=count)
        return [(i.decode(), f[b"event"].decode()) for i, f in rows]

    async def seal(self, head: Head, entries: list[Sealed]) -> bool:
        """Append ``entries`` after ``head``; False when another sealer moved it first."""
        last = entries[-1]
        k = self._k
        args: list[str | int] = [head.count, head.count + len(entries), last.hash, last.id]
        for e in entries:
            args += [e.id, e.entry, e.hash, k.audit_of(e.referral) if e.referral else ""]
        result = await self._s.seal_audit(keys=[k.audit(), k.audit_log(), k.audit_head()],
                                          args=args)
        return result == b"ok"

    async def log(self, after: str = "-", count: int = 10_000) -> list[Sealed]:
        rows = await self._r.xrange(self._k.audit_log(), min=after, count=count)
        return [Sealed(i.decode(), f[b"entry"].decode(), f[b"hash"].decode())
                for i, f in rows]

    async def whole_log(self, page: int = 5_000) -> list[Sealed]:
        """Every sealed entry, oldest first, read a page at a time."""
        entries: list[Sealed] = []
        while rows := await self.log(f"({entries[-1].id}" if entries else "-", page):
            entries += rows
        return entries

    async def add_checkpoint(self, doc: dict[str, str]) -> None:
        await self._r.xadd(self._k.audit_checkpoints(), doc)

    async def checkpoints(self) -> list[dict[str, str]]:
        rows = await self._r.xrange(self._k.audit_checkpoints())
        return [{k.decode(): v.decode() for k, v in f.items()} for _, f in rows]

    # -- reading ----------------------------------------------------------------------------
    async def events(self, *, referral: str | None = None) -> list[AuditEvent]:
        """Sealed events, then those not sealed yet, oldest first: for one referral, read
        through its index of sealed entries; otherwise the whole log."""
        if referral is None:
            sealed = [s.entry for s in await self.whole_log()]
        else:
            sealed = await self._entries(referral)
        docs = [json.loads(entry)["event"] for entry in sealed]
        docs += [json.loads(e) for _, e in await self.intake("0", 1_000_000)]
        events = [AuditEvent.model_validate(d) for d in docs]
        return [e for e in events if referral is None or e.referral == referral]

    async def _entries(self, referral: str) -> list[str]:
        ids = await self._r.lrange(self._k.audit_of(referral), 0, -1)
        async with self._r.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.xrange(self._k.audit_log(), min=i, max=i)
            rows = await pipe.execute()
        return [row[0][1][b"entry"].decode() for row in rows if row]

    async def length(self) -> int:
        return await self._r.xlen(self._k.audit_log()) + await self._r.xlen(self._k.audit())
