"""The audit log. Every audit event goes through ``append`` here or through the same
XADD inside a state-change script, into the intake stream; the sealer then moves events,
in order, into the sealed log (a hash chain) with ``seal``. Readers see both."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import as_hash, dumps, number, stream, text, text_fields
from .keys import Keys
from .scripts import Scripts

_STREAM_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")


def _logged_id(index_entry: str) -> str | None:
    """The log entry (intake id) a trail index entry 'seq id hash' names, if well formed."""
    parts = index_entry.split(" ")
    return parts[1] if len(parts) == 3 and _STREAM_ID.fullmatch(parts[1]) else None


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
    seq: int = -1  # its place in the log

    def index_entry(self) -> str:
        """What a referral's trail index holds for this entry: 'seq id hash'."""
        return f"{self.seq} {self.id} {self.hash}"


@dataclass(frozen=True)
class TrailIndex:
    """A referral's trail as stored: its index entries as written, the log entries they
    name (by intake id; None where there is none), and events not sealed yet."""

    entries: list[str]
    sealed: dict[str, Sealed | None]
    waiting: list[str]


class AuditStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def append(self, event: AuditEvent) -> None:
        await self._r.xadd(self._k.audit(), as_hash({"event": dumps(event)}))

    # -- sealing ----------------------------------------------------------------------------
    async def head(self) -> Head:
        row = text_fields(await self._r.hgetall(self._k.audit_head()))
        return Head(int(row.get("count", 0)), row.get("hash", ""), row.get("id", "0"))

    async def intake(self, after: str, count: int) -> list[tuple[str, str]]:
        """Events not sealed yet, oldest first: (intake id, event JSON)."""
        rows = await self._r.xrange(self._k.audit(), min=f"({after}", count=count)
        return [(i, f["event"]) for i, f in stream(rows)]

    async def seal(self, head: Head, entries: list[Sealed]) -> bool:
        """Append ``entries`` after ``head``; False when another sealer moved it first."""
        k = self._k
        values: list[str] = []
        for e in entries:
            values += [e.id, e.entry, e.hash, k.audit_of(e.referral) if e.referral else "",
                       k.referral(e.referral) if e.referral else "", e.index_entry()]
        result = await self._s.seal_audit(
            intake=k.audit(), log=k.audit_log(), head=k.audit_head(), expected=head.count,
            count=head.count + len(entries), hash=entries[-1].hash, last_id=entries[-1].id,
            entries=values)
        return result == b"ok"

    async def log(self, after: str = "-", count: int = 10_000) -> list[Sealed]:
        rows = await self._r.xrange(self._k.audit_log(), min=after, count=count)
        return [Sealed(i, f["entry"], f["hash"]) for i, f in stream(rows)]

    async def whole_log(self, page: int = 5_000) -> list[Sealed]:
        """Every sealed entry, oldest first, read a page at a time."""
        entries: list[Sealed] = []
        while rows := await self.log(f"({entries[-1].id}" if entries else "-", page):
            entries += rows
        return entries

    async def release_tallies(self, now: float) -> int:
        """Tallies of refusals whose window ended by ``now``, written to the intake as one
        event each with its count (release_tallies.lua); how many."""
        k, released = self._k, 0
        while True:
            batch = number(await self._s.release_tallies(
                tallies=k.tallies(), tallies_due=k.tallies_due(), audit=k.audit(), now=now))
            released += batch
            if batch < 100:  # the script releases at most 100 a call
                return released

    async def add_checkpoint(self, doc: dict[str, str]) -> None:
        await self._r.xadd(self._k.audit_checkpoints(), as_hash(doc))

    async def checkpoints(self) -> list[dict[str, str]]:
        rows = await self._r.xrange(self._k.audit_checkpoints())
        return [f for _, f in stream(rows)]

    # -- reading ----------------------------------------------------------------------------
    async def events(self) -> list[AuditEvent]:
        """Every event, sealed and waiting, oldest first (a referral's own trail is read,
        and checked, through services/auditlog.py)."""
        docs = [json.loads(s.entry)["event"] for s in await self.whole_log()]
        docs += [json.loads(e) for _, e in await self.intake("0", 1_000_000)]
        return [AuditEvent.model_validate(d) for d in docs]

    async def trail(self, referral: str) -> TrailIndex:
        """A referral's trail index, the log entries it names, and the events waiting."""
        entries = [text(e) for e in await self._r.lrange(self._k.audit_of(referral), 0, -1)]
        ids = [i for i in map(_logged_id, entries) if i is not None]
        async with self._r.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.xrange(self._k.audit_log(), min=i, max=i)
            rows = await pipe.execute() if ids else []
        sealed = {i: Sealed(i, row[0][1][b"entry"].decode(), row[0][1][b"hash"].decode())
                  if row else None for i, row in zip(ids, rows, strict=True)}
        waiting = [e for _, e in await self.intake("0", 1_000_000)]
        return TrailIndex(entries, sealed, waiting)

    async def trail_indexes(self, referrals: list[str]) -> dict[str, list[str]]:
        """Several referrals' trail indexes as written, in one round trip."""
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in referrals:
                pipe.lrange(self._k.audit_of(rid), 0, -1)
            rows = await pipe.execute() if referrals else []
        return {rid: [text(e) for e in row] for rid, row in zip(referrals, rows, strict=True)}

    async def length(self) -> int:
        return await self._r.xlen(self._k.audit_log()) + await self._r.xlen(self._k.audit())
