"""Drills in Redis: the drill's record and the referrals it made, and the purge that leaves
nothing of them when it ends. Each change is one MULTI/EXEC step with its audit event."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from hub.models import AuditEvent, Status

from .codec import as_hash, dumps, text
from .keys import Keys


@dataclass(frozen=True)
class DrillRecord:
    id: str
    scenario: str
    started_by: str
    started_at: float
    people: tuple[str, ...]

    def fields(self) -> dict[str, str]:
        return {"scenario": self.scenario, "started_by": self.started_by,
                "started_at": repr(self.started_at), "people": " ".join(self.people)}

    @staticmethod
    def of(did: str, raw: dict[str, str]) -> DrillRecord:
        return DrillRecord(did, raw["scenario"], raw["started_by"], float(raw["started_at"]),
                           tuple(raw["people"].split()))


@dataclass
class PurgePlan:
    """Every key of a referral to delete and every index entry naming it to remove."""

    delete: set[str] = field(default_factory=set)
    zrem: dict[str, set[str]] = field(default_factory=dict)
    hdel: dict[str, set[str]] = field(default_factory=dict)
    srem: dict[str, set[str]] = field(default_factory=dict)

    def member(self, into: dict[str, set[str]], key: str, *members: str) -> None:
        if members:
            into.setdefault(key, set()).update(members)


class DrillStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def start(self, record: DrillRecord, audit: AuditEvent) -> None:
        k = self._k
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(k.drill(record.id), mapping=as_hash(record.fields()))
            pipe.zadd(k.drills(), {record.id: record.started_at})
            pipe.xadd(k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def get(self, did: str) -> DrillRecord | None:
        raw = await self._r.hgetall(self._k.drill(did))
        return DrillRecord.of(did, {text(a): text(b) for a, b in raw.items()}) if raw else None

    async def under_way(self) -> list[DrillRecord]:
        ids = [text(i) for i in await self._r.zrange(self._k.drills(), 0, -1)]
        found = [await self.get(i) for i in ids]
        return [d for d in found if d is not None]

    async def add_referral(self, did: str, rid: str) -> None:
        """Named before the referral is written: a purge never misses one that was."""
        await self._r.sadd(self._k.drill_referrals(did), rid)

    async def referrals(self, did: str) -> list[str]:
        return sorted(text(r) for r in await self._r.smembers(self._k.drill_referrals(did)))

    async def plan(self, rid: str, destination: str, sender_agency: str) -> PurgePlan:
        """What purging ``rid`` removes: its own keys (``ref:{rid}*``), its notices and
        their places in the delivery and flood windows, its claim codes, and its entries in
        every index of referrals."""
        k, plan = self._k, PurgePlan()
        async for key in self._r.scan_iter(match=f"{k.referral(rid)}*", count=500):
            plan.delete.add(text(key))
        for nid in [text(n) for n in await self._r.lrange(k.notices_of(rid), 0, -1)]:
            await self._plan_notice(plan, nid)
        await self._plan_claims(plan, rid)
        for index in (k.inbox(destination), k.outbox(sender_agency), k.stalled(), k.alerted(),
                      k.changed_in(destination), k.changed_out(sender_agency),
                      k.claims_held(), k.claims_held(destination),
                      *(k.by_status(s.value) for s in Status)):
            plan.member(plan.zrem, index, rid)
        for index in (k.deadlines(), k.obligations(), k.obligations_of(destination),
                      k.inflight(k.deadlines())):
            found = [text(m) async for m, _ in self._r.zscan_iter(index, match=f"{rid}:*")]
            plan.member(plan.zrem, index, *found)
        plan.member(plan.hdel, k.cards(), rid)
        plan.member(plan.hdel, k.marked_for_review(), rid)  # the case review's
        for aid in [text(a) for a in await self._r.lrange(k.referral_actions(rid), 0, -1)]:
            plan.delete.add(k.action(aid))
            plan.member(plan.zrem, k.actions(), aid)
        return plan

    async def _plan_notice(self, plan: PurgePlan, nid: str) -> None:
        k = self._k
        raw = {text(a): text(b) for a, b in (await self._r.hgetall(k.notice(nid))).items()}
        plan.delete.add(k.notice(nid))
        plan.member(plan.zrem, k.deliveries(), nid)
        plan.member(plan.zrem, k.inflight(k.deliveries()), nid)
        if raw.get("person") and raw.get("channel"):
            plan.member(plan.zrem, k.sent_by_person(raw["person"], raw["channel"]), nid)
        if raw.get("agency"):
            plan.member(plan.zrem, k.sent_by_agency(raw["agency"]), nid)
        if raw.get("provider_id"):
            plan.delete.add(k.sent_as(raw["provider_id"]))

    async def _plan_claims(self, plan: PurgePlan, rid: str) -> None:
        async for key in self._r.scan_iter(match=self._k.claim_code("*"), count=500):
            value = await self._r.get(key)
            if value is not None and rid in text(value):
                plan.delete.add(text(key))

    async def purge(self, did: str, plans: list[PurgePlan], audits: list[AuditEvent]) -> None:
        """Remove the drill, its referrals and everything naming them, in one step."""
        k = self._k
        async with self._r.pipeline(transaction=True) as pipe:
            for plan in plans:
                for key, members in plan.zrem.items():
                    pipe.zrem(key, *members)
                for key, fields in plan.hdel.items():
                    pipe.hdel(key, *fields)
                for key, members in plan.srem.items():
                    pipe.srem(key, *members)
                if plan.delete:
                    pipe.delete(*plan.delete)
            pipe.delete(k.drill(did), k.drill_referrals(did))
            pipe.zrem(k.drills(), did)
            for audit in audits:
                pipe.xadd(k.audit(), {"event": dumps(audit)})
            await pipe.execute()
