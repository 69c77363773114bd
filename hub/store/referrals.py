"""Referrals in Redis: each state change is one Lua script, so a referral's state, its
indexes, its deadline entry and its audit event change together or not at all."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from hub.cards import Card
from hub.models import AuditEvent, Consent, HistoryEvent, Referral, Status

from .codec import blob, dumps, items, number, packed, referral_from_hash, text, to_fields
from .keys import Keys
from .scripts import Scripts
from .tallies import Tally, on_change, on_create


@dataclass(frozen=True)
class Deadline:
    member: str
    due_at: float


def _pairs(deadlines: tuple[Deadline, ...]) -> list[list[object]]:
    return [[d.due_at, d.member] for d in deadlines]


@dataclass(frozen=True)
class DeadlineChanges:
    """Timers to stop and to start, and the obligations (acknowledgement or follow-up
    deadlines) that start with them; a stopped timer's obligation is met."""

    remove: tuple[str, ...] = ()
    add: tuple[Deadline, ...] = ()
    due: tuple[Deadline, ...] = ()

    def to_json(self) -> bytes:
        return packed({"remove": list(self.remove), "add": _pairs(self.add),
                       "due": _pairs(self.due)})


# what moves a referral in the change indexes: its changes, receipts and escalation rungs
CHANGE_TIMES = ("updated_at", "notified_at", "opened_at", "escalated_at", "sender_cancelled_at")


@dataclass(frozen=True)
class Span:
    """Scores from ``low`` to ``high`` (None: no bound); an open bound is left out."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    def bounds(self) -> tuple[str, str]:
        """(max, min) as ZREVRANGEBYSCORE takes them."""
        return (_bound(self.high, self.high_open, "+inf"),
                _bound(self.low, self.low_open, "-inf"))


def _bound(value: float | None, open_: bool, none: str) -> str:
    if value is None:
        return none
    return f"({value!r}" if open_ else repr(value)


@dataclass(frozen=True)
class TransitionResult:
    ok: bool
    current: str | None  # the status found when not ok; None when the referral is gone
    generation: int | None = None


class ReferralStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def create(self, referral: Referral, envelope: bytes, history: HistoryEvent,
                     deadlines: DeadlineChanges, audit: AuditEvent,
                     roster: tuple[int, bytes], token_id: str,
                     timer_fields: dict[str, str] | None = None,
                     token_person: str | None = None) -> str:
        """'created', 'exists' (same bytes under the same id), 'conflict',
        'roster_changed' when the destination's (roster version, root) is no longer
        ``roster``, or 'token_revoked' when ``token_id`` no longer stands for the sender
        (or for ``token_person``: a drill's coordinator, who submits in the name of the
        scenario's sender)."""
        k, rid, destination = self._k, referral.id, referral.destination
        fields = referral.model_dump(exclude_none=True, exclude={"timers"}, mode="json")
        fields["consent"] = referral.consent
        fields.update(timer_fields or {})
        tally = on_create(referral)
        result = await self._s.create_referral(
            ref=k.referral(rid), envelope=k.envelope(rid), history=k.history(rid),
            inbox=k.inbox(destination), outbox=k.outbox(referral.sender_agency),
            status_index=k.by_status(referral.status), deadlines=k.deadlines(),
            audit=k.audit(), roster=k.roster(destination), root=k.root(destination),
            obligations=k.obligations(), cards=k.cards(), **self._tally_keys(tally),
            agency_obligations=k.obligations_of(destination), token=k.token(token_id),
            digest=referral.envelope_digest, envelope_bytes=envelope,
            fields=to_fields(fields), history_event=dumps(history),
            score=referral.submitted_at, rid=rid, timers=packed(_pairs(deadlines.add)),
            audit_event=dumps(audit), roster_version=roster[0], root_key=roster[1],
            owed=packed(_pairs(deadlines.due)), card=Card.of(referral).encode(),
            tally=tally.to_json(), sender=token_person or referral.sender_person,
            onward=k.onward(referral.parent or rid), parent=referral.parent or "",
            **self._change_keys(referral))
        return text(result)

    async def onward(self, rid: str) -> list[str]:
        """The onward referrals made from ``rid``, oldest first."""
        return [text(m) for m in await self._r.zrange(self._k.onward(rid), 0, -1)]

    def _tally_keys(self, tally: Tally) -> dict[str, str]:
        """The keys a tally adds to (lua/_lib.lua add_tally)."""
        k = self._k
        return {"figures": k.figures(tally.agency, tally.day),
                "ack_times": k.ack_times(tally.agency, tally.day),
                "open_counts": k.open_counts()}

    def _change_keys(self, referral: Referral) -> dict[str, str]:
        """The change indexes a change of ``referral`` moves it up in (lua/_lib.lua
        index_change)."""
        return {"changed_in": self._k.changed_in(referral.destination),
                "changed_out": self._k.changed_out(referral.sender_agency)}

    async def get(self, rid: str) -> Referral | None:
        raw = await self._r.hgetall(self._k.referral(rid))
        return referral_from_hash(raw) if raw else None

    async def timer_state(self, rid: str, field: str) -> str | None:
        raw = await self._r.hget(self._k.referral(rid), field)
        return text(raw) if raw is not None else None

    async def get_many(self, rids: list[str]) -> list[Referral]:
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hgetall(self._k.referral(rid))
            rows = await pipe.execute()
        return [referral_from_hash(raw) for raw in rows if raw]

    async def with_timers(self, rids: list[str]) -> list[tuple[Referral, dict[str, str]]]:
        """Each referral that exists, with its timer fields (``t:<name>`` → state)."""
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hgetall(self._k.referral(rid))
            rows = await pipe.execute()
        return [(referral_from_hash(raw), {text(k): text(v) for k, v in raw.items()
                                           if k.startswith(b"t:")}) for raw in rows if raw]

    async def envelope(self, rid: str) -> bytes | None:
        return blob(await self._r.get(self._k.envelope(rid)))

    async def history(self, rid: str) -> list[HistoryEvent]:
        rows = await self._r.lrange(self._k.history(rid), 0, -1)
        return [HistoryEvent.model_validate_json(row) for row in rows]

    async def histories(self, rids: list[str]) -> dict[str, list[HistoryEvent]]:
        """The histories of several referrals, in one round trip."""
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.lrange(self._k.history(rid), 0, -1)
            rows = await pipe.execute()
        return {rid: [HistoryEvent.model_validate_json(e) for e in events]
                for rid, events in zip(rids, rows, strict=True)}

    async def transition(self, referral: Referral, to: Status, fields: dict[str, object],
                         history: HistoryEvent, deadlines: DeadlineChanges,
                         audit: AuditEvent, closes: tuple[HistoryEvent, AuditEvent] | None = None
                         ) -> TransitionResult:
        """Move the referral to ``to``; with ``closes`` (a change that closes it), its open
        action items close in the same step, with that history and audit event."""
        k, rid = self._k, referral.id
        tally = on_change(referral, to, history.at, history.code)
        status, value = items(await self._s.transition(
            ref=k.referral(rid), history=k.history(rid), old_index=k.by_status(referral.status),
            new_index=k.by_status(to), deadlines=k.deadlines(), audit=k.audit(),
            claimed=k.inflight(k.deadlines()), obligations=k.obligations(),
            **self._tally_keys(tally), agency_obligations=k.obligations_of(referral.destination),
            expected=referral.status, new_status=to, fields=to_fields(fields),
            history_event=dumps(history), score=referral.submitted_at, rid=rid,
            changes=deadlines.to_json(), audit_event=dumps(audit), tally=tally.to_json(),
            **self._closing(rid, history.at, closes), **self._change_keys(referral)))
        if status == b"ok":
            return TransitionResult(True, to, number(value))
        return TransitionResult(False, text(value) or None)

    def _closing(self, rid: str, at: float, closes: tuple[HistoryEvent, AuditEvent] | None
                 ) -> dict[str, str]:
        """What a script needs to close the referral's open action items (_lib.lua
        close_actions), with ``closes``' history and audit event; none without it."""
        k = self._k
        return {"referral_actions": k.referral_actions(rid), "actions": k.actions(),
                "action_prefix": k.action(""), "closed_at": repr(at),
                "close_history": dumps(closes[0]) if closes else "",
                "close_audit": dumps(closes[1]) if closes else ""}

    async def end_consent(self, referral: Referral, to: Status | None,
                          fields: dict[str, object], history: HistoryEvent, audit: AuditEvent,
                          *, notify_at: float, notify_member: str | None,
                          obligations: tuple[str, ...],
                          closes: tuple[HistoryEvent, AuditEvent] | None = None
                          ) -> TransitionResult:
        """Consent withdrawn or run out: status (``to``; None keeps a closed referral's),
        timers and ``obligations``, content and the notice step in one step
        (lua/end_consent.lua); with ``closes``, its open action items close too."""
        k, rid = self._k, referral.id
        tally = on_change(referral, to, history.at)
        status, value = items(await self._s.end_consent(
            ref=k.referral(rid), history=k.history(rid), old_index=k.by_status(referral.status),
            new_index=k.by_status(to or referral.status), deadlines=k.deadlines(),
            claimed=k.inflight(k.deadlines()), audit=k.audit(), envelope=k.envelope(rid),
            replies=k.replies(rid), attachments=k.attachments(rid), obligations=k.obligations(),
            **self._tally_keys(tally), agency_obligations=k.obligations_of(referral.destination),
            grants=k.grants(rid), granted=k.granted(rid),
            expected=referral.status, new_status=to or "", fields=to_fields(fields),
            history_event=dumps(history), score=referral.submitted_at, rid=rid,
            audit_event=dumps(audit), notify_at=notify_at, notify_member=notify_member or "",
            dropped=packed(list(obligations)), tally=tally.to_json(),
            **self._closing(rid, history.at, closes), **self._change_keys(referral)))
        if status == b"ok":
            return TransitionResult(True, to or referral.status, number(value))
        return TransitionResult(False, text(value) or None)

    async def consent_record(self, rid: str) -> tuple[bytes, Consent] | None:
        """The consent as stored (its exact bytes, for a compare-and-set) and parsed."""
        raw = blob(await self._r.hget(self._k.referral(rid), "consent"))
        return (raw, Consent.model_validate_json(raw)) if raw is not None else None

    async def narrow_consent(self, referral: Referral, stored: bytes, narrowed: Consent,
                             history: HistoryEvent, audit: AuditEvent, now: float) -> bool:
        """Replace ``referral``'s consent record if it is still ``stored``; False if it
        changed."""
        k, rid = self._k, referral.id
        result = await self._s.narrow_consent(
            ref=k.referral(rid), history=k.history(rid), audit=k.audit(), stored=stored,
            narrowed=narrowed.model_dump_json(), history_event=dumps(history),
            audit_event=dumps(audit), updated_at=now, rid=rid, **self._change_keys(referral))
        return result == b"ok"

    async def replace_envelope(self, rid: str, expected_digest: str, envelope: bytes,
                               fields: dict[str, object], history: HistoryEvent,
                               audit: AuditEvent) -> str:
        """Put ``envelope`` in place of the referral's, if its digest is still
        ``expected_digest`` (lua/replace_envelope.lua): 'ok', 'stale' or 'gone'."""
        k = self._k
        return text(await self._s.replace_envelope(
            ref=k.referral(rid), envelope=k.envelope(rid), history=k.history(rid),
            audit=k.audit(), attachments=k.attachments(rid), grants=k.grants(rid),
            granted=k.granted(rid), expected=expected_digest, envelope_bytes=envelope,
            fields=to_fields(fields), history_event=dumps(history), audit_event=dumps(audit)))

    async def mark_receipt(self, referral: Referral, field: str, at: float,
                           history: HistoryEvent, audit: AuditEvent) -> str:
        k, rid = self._k, referral.id
        result = await self._s.mark_receipt(
            ref=k.referral(rid), history=k.history(rid), audit=k.audit(), field=field, at=at,
            history_event=dumps(history), audit_event=dumps(audit), rid=rid,
            **self._change_keys(referral))
        return text(result)

    async def page(self, index_key: str, *, offset: int, limit: int) -> list[str]:
        rids = await self._r.zrevrange(index_key, offset, offset + limit - 1)
        return [text(r) for r in rids]

    async def count_changed(self, index_key: str, span: Span) -> int:
        """How many ids a change index (keys.py changed_in, changed_out) holds in ``span``."""
        newest, oldest = span.bounds()
        return await self._r.zcount(index_key, oldest, newest)

    async def changed_newest_first(self, index_key: str, span: Span, order_key: str
                                   ) -> list[str]:
        """The ids a change index holds in ``span``, in ``order_key``'s order (inbox or
        outbox: newest submitted first), without reading a referral."""
        newest, oldest = span.bounds()
        rids = [text(r) for r in await self._r.zrangebyscore(index_key, oldest, newest)]
        if not rids:
            return []
        scores = await self._r.zmscore(order_key, rids)
        ranked = sorted((score, rid) for rid, score in zip(rids, scores, strict=True)
                        if score is not None)
        return [rid for _, rid in reversed(ranked)]

    async def index_changes(self, now: float) -> int:
        """Put every referral stored before the change indexes existed into them, once
        (the schema hash remembers it); returns how many were put. ZADD GT never lowers
        a score a change set meanwhile."""
        k, put = self._k, 0
        if await self._r.hexists(k.schema(), "changed"):
            return 0
        for pattern, index in ((k.inbox("*"), k.changed_in), (k.outbox("*"), k.changed_out)):
            async for key in self._r.scan_iter(match=pattern, count=1000):
                agency = text(key).rpartition(":")[2]
                put += await self._index_from(text(key), index(agency))
        await self._r.hset(k.schema(), "changed", repr(now))
        return put

    async def _index_from(self, source: str, index: str) -> int:
        put, cursor = 0, 0
        while True:
            cursor, rows = await self._r.zscan(source, cursor, count=1000)
            rids = [text(rid) for rid, _ in rows]
            async with self._r.pipeline(transaction=False) as pipe:
                for rid in rids:
                    pipe.hmget(self._k.referral(rid), CHANGE_TIMES)
                stamps = await pipe.execute()
            found = {rid: max(float(t) for t in times if t)
                     for rid, times in zip(rids, stamps, strict=True) if times[0]}
            if found:
                await self._r.zadd(index, found, gt=True)
                put += len(found)
            if cursor == 0:
                return put

    async def count(self, index_key: str) -> int:
        return await self._r.zcard(index_key)
