"""API tokens (stored only as hashes) and the counters that rate-limit failed sign-ins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis
from redis.exceptions import WatchError

from hub.models import AuditEvent

from .codec import as_hash, dumps, number, text, text_fields
from .keys import Keys
from .scripts import Scripts


@dataclass(frozen=True)
class Offboarding:
    """What offboarding took away: how many tokens, and the ids of the live overrides and
    away periods of the person's agency schedule that named them."""

    tokens: int
    schedule_entries: tuple[str, ...]


def _entries_of(person: str, raw: Mapping[bytes | str, bytes | str]) -> list[str]:
    return [text(entry_id) for entry_id, value in raw.items()
            if orjson.loads(value).get("person") == person]


@dataclass(frozen=True)
class Window:
    """A fixed window of ``length`` seconds: the ``number``-th since the epoch."""

    length: float
    number: int

    @staticmethod
    def at(now: float, length: float) -> Window:
        return Window(length, int(now // length))

    @property
    def ends(self) -> float:
        return (self.number + 1) * self.length


class AccessStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def put_token(self, token_id: str, person: str, fields: dict[str, str],
                        audit: AuditEvent) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._k.token(token_id), mapping=as_hash(fields))
            pipe.sadd(self._k.person_tokens(person), token_id)
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def token(self, token_id: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.token(token_id))
        return text_fields(row) if row else None

    async def revoke_token(self, token_id: str, person: str, audit: AuditEvent) -> bool:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._k.token(token_id))
            pipe.srem(self._k.person_tokens(person), token_id)
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def offboard(self, person: str, agency: str, *, record: bool,
                       audit: AuditEvent) -> Offboarding:
        """Delete every token of ``person`` (a session lives only as long as its token) and,
        with ``record`` (they left), add them to the agency's offboarded people and delete
        their live overrides and away periods from its schedule, in one step."""
        k = self._k
        schedule = k.schedule(agency)
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(k.person_tokens(person), schedule)
                    tokens = [text(t) for t in await pipe.smembers(k.person_tokens(person))]
                    entries = _entries_of(person, await pipe.hgetall(schedule)) \
                        if record else []
                    pipe.multi()
                    for token_id in tokens:
                        pipe.delete(k.token(token_id))
                    pipe.delete(k.person_tokens(person))
                    if record:
                        pipe.sadd(k.offboarded(agency), person)
                    if entries:
                        pipe.hdel(schedule, *entries)
                    pipe.xadd(k.audit(), {"event": dumps(audit)})
                    await pipe.execute()
                    return Offboarding(len(tokens), tuple(sorted(entries)))
                except WatchError:  # a token or schedule entry came meanwhile: read again
                    continue

    async def offboarded(self, agency: str) -> list[str]:
        return sorted(text(p) for p in await self._r.smembers(self._k.offboarded(agency)))

    async def record_failure(self, scopes: dict[str, str], window: Window, limit: int,
                             audit: AuditEvent, tally: AuditEvent) -> int:
        """Count a failed sign-in in each scope for ``window`` and record it, in one step:
        as ``audit`` up to ``limit``, past it as one more of ``tally`` (record_failure.lua).
        The highest count, this one included."""
        k = self._k
        counters = [k.auth_failures(scope, value, window.number)
                    for scope, value in scopes.items()]
        result = await self._s.record_failure(
            audit=k.audit(), tallies=k.tallies(), tallies_due=k.tallies_due(), counters=counters,
            ttl=int(window.length) + 60, limit=limit, audit_event=dumps(audit),
            tally_member=dumps(tally), due_at=window.ends)
        return number(result)

    async def tally(self, event: AuditEvent, due: float) -> None:
        """One more refusal of the kind ``event`` describes, in its window's tally."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hincrby(self._k.tallies(), dumps(event), 1)
            pipe.zadd(self._k.tallies_due(), {dumps(event): due}, nx=True)
            await pipe.execute()
