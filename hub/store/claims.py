"""Claim codes from notices, kept only as keyed hashes (services/claims.py makes them): the
live code's binding (referral, person, notice), the codes sent to one number, the claim
itself (claim_referral.lua), and the counters that limit guessing."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent, HistoryEvent

from .codec import dumps, text
from .keys import Keys
from .scripts import Scripts


@dataclass(frozen=True)
class CodeBinding:
    """What a live code claims: the referral, for whom, from which notice."""

    referral: str
    person: str
    notice: str

    def value(self) -> str:
        return f"{self.referral}|{self.person}|{self.notice}"

    @staticmethod
    def parse(raw: bytes | str) -> CodeBinding:
        text = raw.decode() if isinstance(raw, bytes) else raw
        referral, person, notice = text.split("|")
        return CodeBinding(referral, person, notice)


class ClaimStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def binding(self, code_hash: str) -> CodeBinding | None:
        raw = await self._r.get(self._k.claim_code(code_hash))
        return CodeBinding.parse(raw) if raw else None

    async def sent_to(self, number_hash: str) -> list[str]:
        """The live codes sent to a number (their hashes); spent and expired ones left out."""
        key = self._k.claims_to(number_hash)
        members = [text(m) for m in await self._r.smembers(key)]
        if not members:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for m in members:
                pipe.exists(m)
            live = [m for m, e in zip(members, await pipe.execute(), strict=True) if e]
        gone = sorted(set(members) - set(live))
        if gone:
            await self._r.srem(key, *gone)
        prefix = self._k.claim_code("")
        return [m.removeprefix(prefix) for m in live]

    async def claim(self, code_hash: str, number_hash: str, binding: CodeBinding, *,
                    agency: str, member: str, now: float, until: float,
                    history: HistoryEvent, audit: AuditEvent) -> str:
        """'claimed', 'taken', 'closed' or 'expired' (claim_referral.lua)."""
        k = self._k
        result = await self._s.claim_referral(
            code=k.claim_code(code_hash), codes_to=k.claims_to(number_hash),
            ref=k.referral(binding.referral), deadlines=k.deadlines(),
            history=k.history(binding.referral), audit=k.audit(), held=k.claims_held(),
            held_here=k.claims_held(agency), rid=binding.referral, code_value=binding.value(),
            person=binding.person, member=member, now=now, pause_until=until,
            history_event=dumps(history), audit_event=dumps(audit))
        return text(result)

    async def held(self, now: float, agency: str | None = None) -> int:
        """How many claims hold their referral's escalation now."""
        return int(await self._r.zcount(self._k.claims_held(agency), f"({now}", "+inf"))

    async def tries(self, sources: list[str], window: int) -> list[int]:
        """Failed tries so far in ``window`` from each source."""
        values = await self._r.mget([self._k.claim_tries(s, window) for s in sources])
        return [int(v) if v else 0 for v in values]

    async def failed(self, sources: list[str], window: int, keep_for: int) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            for source in sources:
                key = self._k.claim_tries(source, window)
                pipe.incr(key)
                pipe.expire(key, keep_for)
            await pipe.execute()
