"""What the coordinators' dashboard reads and writes: the obligations index (what each
open referral owes, by when) with the routing cards it is filtered by, the figures counted
per agency and day, and the few marks coordinators leave on a referral (a nudge's rate
limit, a team meeting's review)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from redis.asyncio import Redis
from redis.exceptions import WatchError

from hub.cards import Card
from hub.models import AuditEvent, HistoryEvent

from .codec import as_hash, dumps, text, text_fields
from .keys import Keys


class Owed(NamedTuple):
    """One deadline an open referral owes: ``timer`` is ``ack`` or ``fu:NAME``. (A tuple:
    a queue page makes thousands of them.)"""

    rid: str
    timer: str
    due: float


@dataclass(frozen=True)
class DayFigures:
    counts: dict[str, int]
    ack_seconds: list[float]


CARDS_KEPT = 200_000  # routing cards kept in memory (a few hundred bytes each)


class OversightStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys
        self._cards: dict[str, Card] = {}

    def _index(self, agency: str | None) -> str:
        return self._k.obligations() if agency is None else self._k.obligations_of(agency)

    async def owed(self, until: float, *, agency: str | None = None) -> list[Owed]:
        """Every deadline due at or before ``until`` (of one receiving agency's referrals,
        or everyone's), soonest first."""
        out = []
        for member, due in await self.owed_raw(until, agency=agency):
            rid, _, timer = member.decode().partition(":")
            out.append(Owed(rid, timer, due))
        return out

    async def owed_raw(self, until: float, *, after: float | None = None, offset: int = 0,
                       count: int | None = None, agency: str | None = None
                       ) -> list[tuple[bytes, float]]:
        """The same as (``{rid}:{timer}``, due) pairs, left undecoded (a queue page reads
        thousands and decodes the few it shows): due after ``after`` (if given) and at or
        before ``until``, ``count`` of them (all if None) from the ``offset``-th. (A bare
        command: redis-py's own WITHSCORES handling turns every RESP3 score into text and
        back.)"""
        low = "-inf" if after is None else f"({after!r}"
        limit = () if count is None else ("LIMIT", offset, count)
        rows = await self._r.execute_command("ZRANGEBYSCORE", self._index(agency), low,
                                             until, "WITHSCORES", *limit)
        if rows and isinstance(rows[0], list):  # RESP3: [member, score] pairs
            return [(member, float(due)) for member, due in rows]
        return [(member, float(due)) for member, due in zip(rows[::2], rows[1::2],
                                                             strict=True)]  # RESP2: flat

    async def owed_count(self, after: float, until: float, *, agency: str | None = None) -> int:
        """How many deadlines fall due after ``after`` and at or before ``until``."""
        return int(await self._r.zcount(self._index(agency), f"({after!r}", until))

    async def owed_by(self, members: Sequence[str]) -> list[Owed]:
        """Which of ``members`` (``{rid}:{timer}``) are still owed, and by when."""
        if not members:
            return []
        scores = await self._r.zmscore(self._k.obligations(), list(members))
        return [_owed(m, due) for m, due in zip(members, scores, strict=True) if due is not None]

    async def cards(self, rids: Sequence[str]) -> list[Card | None]:
        """Each referral's routing card (hub/cards.py), in order. A card
        never changes once written and is never deleted, so each is read from Redis once
        and then kept (up to CARDS_KEPT; past that the keeping starts again)."""
        kept = self._cards
        missing = list({rid: None for rid in rids if rid not in kept})
        if missing:
            if len(kept) + len(missing) > CARDS_KEPT:
                kept.clear()
            found = await self._r.hmget(self._k.cards(), missing)
            kept.update((rid, Card.decode(text(c)))
                        for rid, c in zip(missing, found, strict=True) if c is not None)
        return [kept.get(rid) for rid in rids]

    async def counts(self, now: float, soon: float, *, agency: str | None = None
                     ) -> tuple[int, int, int]:
        """How many deadlines are past, how many fall due by ``soon``, and how many
        referrals are flagged stalled (everyone's only: the flags are not kept per agency):
        a cheap signature of the queue, for live updates."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.zcount(self._index(agency), "-inf", now)
            pipe.zcount(self._index(agency), "-inf", soon)
            pipe.zcard(self._k.stalled())
            pipe.zcard(self._k.alerted())
            past, coming, stalled, alerted = await pipe.execute()
        return int(past), int(coming), int(stalled) + int(alerted) if agency is None else 0

    async def details(self, rids: Sequence[str]) -> list[tuple[dict[str, str], dict[str, str]]]:
        """For each referral: its record and its latest notice (empty when none)."""
        k = self._k
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hgetall(k.referral(rid))
                pipe.lindex(k.notices_of(rid), -1)
            rows = await pipe.execute()
        records = [_text(rows[i]) for i in range(0, len(rows), 2)]
        latest = [n.decode() if n else None for n in rows[1::2]]
        async with self._r.pipeline(transaction=False) as pipe:
            for nid in latest:
                pipe.hgetall(k.notice(nid or "-"))
            notices = [_text(n) for n in await pipe.execute()]
        return list(zip(records, notices, strict=True))

    async def flags(self, rids: Sequence[str]) -> list[tuple[bool, bool]]:
        """For each referral: whether a coordinator was alerted, and whether a notice of
        it reached nobody."""
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.zscore(self._k.alerted(), rid)
                pipe.zscore(self._k.stalled(), rid)
            found = [s is not None for s in await pipe.execute()]
        return list(zip(found[::2], found[1::2], strict=True))

    async def figures(self, agencies: Sequence[str], days: Sequence[str]
                      ) -> dict[str, list[DayFigures]]:
        """Each agency's counters and acknowledgement times on each of ``days``."""
        k = self._k
        async with self._r.pipeline(transaction=False) as pipe:
            for agency in agencies:
                for day in days:
                    pipe.hgetall(k.figures(agency, day))
                    pipe.lrange(k.ack_times(agency, day), 0, -1)
            rows = iter(await pipe.execute())
        out: dict[str, list[DayFigures]] = {}
        for agency in agencies:
            out[agency] = [DayFigures({f.decode(): int(v) for f, v in next(rows).items()},
                                      [float(s) for s in next(rows)]) for _ in days]
        return out

    async def open_counts(self) -> dict[str, int]:
        rows = await self._r.hgetall(self._k.open_counts())
        return {agency: int(n) for agency, n in text_fields(rows).items()}

    async def take_nudge(self, rid: str, now: float, until: float) -> bool:
        """True if no nudge of ``rid`` is fresh at ``now`` (the hub's clock, not Redis's);
        then this one is, until ``until``."""
        key = self._k.nudged(rid)
        async with self._r.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                fresh = await pipe.get(key)
                if fresh is not None and float(fresh) > now:
                    return False
                pipe.multi()
                pipe.set(key, repr(until), ex=max(1, math.ceil(until - now)))
                await pipe.execute()
            except WatchError:  # another nudge took it meanwhile
                return False
        return True

    async def drop_nudge(self, rid: str) -> None:
        """Forget a nudge that sent nothing (it holds back no other)."""
        await self._r.delete(self._k.nudged(rid))

    async def review(self, rid: str, fields: dict[str, str], history: HistoryEvent,
                     audit: AuditEvent) -> bool:
        """Record a team meeting's review on the referral (False if it is gone); it comes
        off the case review's list of referrals marked for it (store/mdt.py)."""
        k = self._k
        if not await self._r.exists(k.referral(rid)):
            return False
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(k.referral(rid), mapping=as_hash(fields))
            pipe.hdel(k.marked_for_review(), rid)
            pipe.rpush(k.history(rid), dumps(history))
            pipe.xadd(k.audit(), {"event": dumps(audit)})
            await pipe.execute()
        return True


def _text(row: dict[bytes, bytes]) -> dict[str, str]:
    return {key.decode(): value.decode() for key, value in row.items()}


def _owed(member: str, due: float) -> Owed:
    """An obligation's member (``{rid}:{timer}``) and score."""
    rid, timer = member.split(":", 1)
    return Owed(rid, timer, due)
