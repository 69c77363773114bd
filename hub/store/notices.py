"""The notice outbox: one record per notice under its idempotency key, committed only while
the referral is still waiting at the generation the step was decided on (outbox.py: the
record and its codec)."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import dumps, packed, text
from .keys import Keys
from .outbox import NoticeRecord, decode_notice, encode_changes, encode_notice
from .scripts import Scripts

REPORTS_FOR = 14 * 86400  # seconds a gateway's delivery reports are matched to a notice


class NoticeStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def commit(self, rid: str, nid: str, notice: NoticeRecord, *, generation: int,
                     statuses: tuple[str, ...], deliver_at: float, audit: AuditEvent,
                     now: float, lease: float) -> str:
        """'claimed' (due now, and claimed for the caller to send under ``lease``),
        'created' (queued for later), 'exists' (this idempotency key was committed before)
        or 'stale'."""
        k = self._k
        result = await self._s.claim_notice(
            ref=k.referral(rid), notice=k.notice(nid), notices=k.notices_of(rid),
            deliveries=k.deliveries(), audit=k.audit(), claimed=k.inflight(k.deliveries()),
            generation=generation, statuses=packed(list(statuses)),
            fields=packed(encode_notice(notice)), deliver_at=deliver_at, nid=nid,
            audit_event=dumps(audit), now=now,
            lease_until=now + lease)
        return text(result)

    async def get(self, nid: str) -> NoticeRecord | None:
        row = await self._r.hgetall(self._k.notice(nid))
        return decode_notice(nid, row) if row else None

    async def update(self, nid: str, changes: Mapping[str, object], *, release: bool = False,
                     retry_at: float | None = None, sent_as: str | None = None) -> bool:
        """Record an attempt's outcome; release the claim, or queue the next attempt;
        remember the gateway's id for the notice (``sent_as``) to match delivery reports.
        False (and only the claim released) when the notice is not there."""
        k = self._k
        found = await self._s.update_notice(
            notice=k.notice(nid), sent_as=k.sent_as(sent_as or "-"), deliveries=k.deliveries(),
            claimed=k.inflight(k.deliveries()), nid=nid, fields=packed(encode_changes(changes)),
            keep_sent_as="1" if sent_as else "", keep_for=REPORTS_FOR,
            retry_at="" if retry_at is None else retry_at, release="1" if release else "0")
        return bool(found)

    async def of_referral(self, rid: str) -> list[NoticeRecord]:
        nids = [text(n) for n in await self._r.lrange(self._k.notices_of(rid), 0, -1)]
        notices = [await self.get(nid) for nid in nids]
        return [n for n in notices if n is not None]

    async def sent_as(self, provider_id: str) -> list[str]:
        """The notices a gateway's message carried (several, for a digest)."""
        nids = await self._r.get(self._k.sent_as(provider_id))
        return text(nids).split() if nids else []

    async def apply_report(self, nid: str, status: str, *, progress: int, undelivered: bool,
                           now: float, error: str, audit: AuditEvent) -> str:
        """'applied', 'ignored' (not further along than the last report), 'undelivered'
        (the notice is dead and queued so its next channel is tried) or 'unknown'."""
        k = self._k
        result = await self._s.delivery_report(
            notice=k.notice(nid), deliveries=k.deliveries(), audit=k.audit(), status=status,
            rank=progress, now=now, error_code=error, undelivered="1" if undelivered else "0",
            nid=nid, audit_event=dumps(audit))
        return text(result)
