"""The team meeting's (MDT) records: referrals marked for case review, and action items
with an owner agency and a due date, each tracked by the deadline engine like a follow-up
(``{rid}:act:{aid}`` in the deadlines and obligations). Codes, ids and times only; every
change with its history and audit event in one step (lua/mark_for_review.lua,
add_action.lua, finish_action.lua)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from redis.asyncio import Redis

from hub.models import AuditEvent, HistoryEvent

from .codec import dumps, packed, text, text_fields, to_fields
from .keys import Keys
from .scripts import Scripts

ACT = "act:"  # an action item's timer: ``act:{aid}``


@dataclass(frozen=True)
class Mark:
    code: str
    by: str
    at: float


@dataclass(frozen=True)
class ActionItem:
    id: str
    referral: str
    owner: str  # the agency that owes it
    code: str
    due: float
    status: str  # open, done, closed (the referral closed while it was open)
    created_by: str
    created_at: float
    done_at: float | None = None
    step: int = 0  # the next rung of the escalation ladder it climbs while overdue

    @property
    def timer(self) -> str:
        return ACT + self.id

    def fields(self) -> dict[str, object]:
        return {"referral": self.referral, "owner": self.owner, "code": self.code,
                "due": self.due, "status": self.status, "created_by": self.created_by,
                "created_at": self.created_at}

    @staticmethod
    def decode(aid: str, row: dict[str, str]) -> ActionItem:
        return ActionItem(aid, row["referral"], row["owner"], row["code"], float(row["due"]),
                          row["status"], row["created_by"], float(row["created_at"]),
                          float(row["done_at"]) if row.get("done_at") else None,
                          int(row.get("step") or 0))


class MdtStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def mark(self, rid: str, mark: Mark | None, history: HistoryEvent,
                   audit: AuditEvent) -> bool:
        """Mark (or, with None, unmark) the referral for review; False if it is gone."""
        k = self._k
        return text(await self._s.mark_for_review(
            ref=k.referral(rid), marked=k.marked_for_review(), history=k.history(rid),
            audit=k.audit(), rid=rid,
            mark=packed({"code": mark.code, "by": mark.by, "at": mark.at}) if mark else "",
            history_event=dumps(history), audit_event=dumps(audit))) == "ok"

    async def marked(self) -> dict[str, Mark]:
        rows = text_fields(await self._r.hgetall(self._k.marked_for_review()))
        return {rid: Mark(str(d["code"]), str(d["by"]), float(d["at"]))
                for rid, d in ((r, orjson.loads(v)) for r, v in rows.items())}

    async def add(self, item: ActionItem, destination: str, history: HistoryEvent,
                  audit: AuditEvent) -> str:
        """'ok', 'exists' or 'gone' (no such referral)."""
        k, rid = self._k, item.referral
        return text(await self._s.add_action(
            ref=k.referral(rid), action=k.action(item.id), actions=k.actions(),
            referral_actions=k.referral_actions(rid), deadlines=k.deadlines(),
            obligations=k.obligations(), agency_obligations=k.obligations_of(destination),
            owner_obligations=k.obligations_of(item.owner),
            history=k.history(rid), audit=k.audit(), aid=item.id,
            fields=to_fields(item.fields()), due=item.due, member=f"{rid}:{item.timer}",
            history_event=dumps(history), audit_event=dumps(audit)))

    async def finish(self, item: ActionItem, destination: str, *, at: float, by: str,
                     history: HistoryEvent, audit: AuditEvent) -> str:
        """'ok', 'done' (before) or 'gone'."""
        k, rid = self._k, item.referral
        return text(await self._s.finish_action(
            action=k.action(item.id), actions=k.actions(), deadlines=k.deadlines(),
            claimed=k.inflight(k.deadlines()), obligations=k.obligations(),
            agency_obligations=k.obligations_of(destination),
            owner_obligations=k.obligations_of(item.owner), history=k.history(rid),
            audit=k.audit(), aid=item.id, member=f"{rid}:{item.timer}", done_at=at,
            done_by=by, history_event=dumps(history), audit_event=dumps(audit)))

    async def climb(self, item: ActionItem, step: int | None, due: float) -> str:
        """Give the engine's claim on the item's timer back, with its next rung (``step``,
        due at ``due``) set while it is open; None: no rung is left. 'ok', 'spent' or
        'closed' (lua/climb_action.lua)."""
        k = self._k
        return text(await self._s.climb_action(
            action=k.action(item.id), deadlines=k.deadlines(),
            claimed=k.inflight(k.deadlines()), member=f"{item.referral}:{item.timer}",
            step="" if step is None else step, due=due))

    async def statuses(self, rids: list[str]) -> list[str | None]:
        """Each referral's status (None when it is gone), in one round trip."""
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hget(self._k.referral(rid), "status")
            found = await pipe.execute()
        return [text(s) if s is not None else None for s in found]

    async def get(self, aid: str) -> ActionItem | None:
        row = text_fields(await self._r.hgetall(self._k.action(aid)))
        return ActionItem.decode(aid, row) if row else None

    async def open_items(self) -> list[ActionItem]:
        """Every open action item, soonest due first."""
        ids = [text(a) for a in await self._r.zrange(self._k.actions(), 0, -1)]
        async with self._r.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hgetall(self._k.action(aid))
            rows = await pipe.execute()
        return [ActionItem.decode(aid, text_fields(row))
                for aid, row in zip(ids, rows, strict=True) if row]
