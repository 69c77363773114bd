"""Milestones a receiving agency recorded on a referral, and the gaps the engine marked:
each a code, when, by whom, and whether it came in time; written with its history and
audit event in one step (lua/record_milestone.lua, lua/mark_gap.lua)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from redis.asyncio import Redis

from hub.models import AuditEvent, HistoryEvent, Referral

from .codec import dumps, items, packed, text, text_fields
from .keys import Keys
from .scripts import Scripts
from .tallies import day_of

MET, MISSED = "milestones_met:", "milestones_missed:"  # figures' fields, + the type


@dataclass(frozen=True)
class RecordedMilestone:
    code: str
    at: float
    by: str  # the person who recorded it
    in_time: bool

    @staticmethod
    def decode(code: str, raw: str) -> RecordedMilestone:
        doc = orjson.loads(raw)
        return RecordedMilestone(code, float(doc["at"]), str(doc["by"]), bool(doc["in_time"]))


@dataclass(frozen=True)
class Recording:
    """What recording one code does: the milestone's timer member (None for a code without
    a deadline) and, for a code that misses another, that one's member and its gap step."""

    code: str
    member: str | None
    missed: str | None = None  # the missed milestone's code
    missed_member: str | None = None
    gap_member: str | None = None


class MilestoneStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def record(self, referral: Referral, what: Recording, *, by: str, now: float,
                     statuses: tuple[str, ...], history: HistoryEvent, audit: AuditEvent
                     ) -> tuple[str, RecordedMilestone | str]:
        """('ok', the record), ('exists', the record kept), ('status', the status found)
        or ('missing', '')."""
        k, rid = self._k, referral.id
        outcome, value = items(await self._s.record_milestone(
            ref=k.referral(rid), milestones=k.milestones(rid), history=k.history(rid),
            deadlines=k.deadlines(), claimed=k.inflight(k.deadlines()),
            obligations=k.obligations(), agency_obligations=k.obligations_of(
                referral.destination), figures=self._figures(referral), audit=k.audit(),
            code=what.code, record=packed({"at": now, "by": by}),
            statuses=" ".join(statuses), member=what.member or "",
            timer_field=f"t:{what.member.partition(':')[2]}" if what.member else "",
            gap_field=f"gap:{what.code}", met_count=MET + referral.type,
            missed_member=what.missed_member or "",
            missed_field=f"t:{what.missed_member.partition(':')[2]}"
            if what.missed_member else "", missed_code=what.missed or "",
            gap_member=what.gap_member or "", now=now, history_event=dumps(history),
            audit_event=dumps(audit)))
        found = text(outcome)
        if found in ("ok", "exists"):
            return found, RecordedMilestone.decode(what.code, text(value))
        return found, text(value)

    async def mark_gap(self, referral: Referral, code: str, *, now: float,
                       history: HistoryEvent, audit: AuditEvent) -> str:
        """'new' (marked now), 'known', 'met' (recorded meanwhile) or 'gone'."""
        k, rid = self._k, referral.id
        return text(await self._s.mark_gap(
            ref=k.referral(rid), milestones=k.milestones(rid), history=k.history(rid),
            figures=self._figures(referral), audit=k.audit(), code=code,
            gap_field=f"gap:{code}", missed_count=MISSED + referral.type, now=now,
            history_event=dumps(history), audit_event=dumps(audit)))

    async def recorded(self, rid: str) -> list[RecordedMilestone]:
        rows = text_fields(await self._r.hgetall(self._k.milestones(rid)))
        return sorted((RecordedMilestone.decode(c, v) for c, v in rows.items()),
                      key=lambda m: m.at)

    async def gaps(self, rid: str) -> dict[str, float]:
        """The milestones marked as gaps on the referral, and when."""
        fields = text_fields(await self._r.hgetall(self._k.referral(rid)))
        return {f.removeprefix("gap:"): float(v) for f, v in fields.items()
                if f.startswith("gap:")}

    def _figures(self, referral: Referral) -> str:
        return self._k.figures(referral.destination, day_of(referral.submitted_at))
