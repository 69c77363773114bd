"""Replies and attachments on a referral's thread: sealed blobs stored once each, with
their metadata, history entry and audit event in one atomic step."""

from __future__ import annotations

from redis.asyncio import Redis

from hub.models import AuditEvent, HistoryEvent

from .codec import blob, dumps, text, text_fields, to_fields
from .keys import Keys
from .scripts import Scripts


class ThreadStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def _put(self, rid: str, blob_key: str, meta_key: str, list_key: str, member: str,
                   digest: str, data: bytes, meta: dict[str, object], counter: str,
                   history: HistoryEvent, audit: AuditEvent) -> str:
        k = self._k
        result = await self._s.put_blob(
            blob=blob_key, meta=meta_key, members=list_key, ref=k.referral(rid),
            history=k.history(rid), audit=k.audit(), digest=digest, data=data,
            fields=to_fields(meta), member=member, history_event=dumps(history),
            audit_event=dumps(audit), counter=counter)
        return text(result)

    async def put_reply(self, rid: str, reply_id: str, digest: str, envelope: bytes,
                        meta: dict[str, object], history: HistoryEvent, audit: AuditEvent) -> str:
        """'created', 'exists', 'conflict', 'missing' (no such referral) or 'closed'
        (consent withdrawn or expired: its content is gone and nothing more is kept)."""
        k = self._k
        return await self._put(rid, k.reply_envelope(rid, reply_id), k.reply(rid, reply_id),
                               k.replies(rid), reply_id, digest, envelope, meta, "reply_count",
                               history, audit)

    async def put_attachment(self, rid: str, index: int, digest: str, blob: bytes,
                             meta: dict[str, object], history: HistoryEvent,
                             audit: AuditEvent) -> str:
        k = self._k
        return await self._put(rid, k.attachment(rid, index), k.attachment_meta(rid, index),
                               k.attachments(rid), str(index), digest, blob, meta,
                               "attachment_count", history, audit)

    async def replies(self, rid: str) -> list[dict[str, str]]:
        ids = [text(i) for i in await self._r.lrange(self._k.replies(rid), 0, -1)]
        async with self._r.pipeline(transaction=False) as pipe:
            for reply_id in ids:
                pipe.hgetall(self._k.reply(rid, reply_id))
            rows = await pipe.execute()
        return [text_fields(row) for row in rows if row]

    async def reply(self, rid: str, reply_id: str) -> dict[str, str] | None:
        row = await self._r.hgetall(self._k.reply(rid, reply_id))
        return text_fields(row) if row else None

    async def reply_envelope(self, rid: str, reply_id: str) -> bytes | None:
        return blob(await self._r.get(self._k.reply_envelope(rid, reply_id)))

    async def attachment(self, rid: str, index: int) -> bytes | None:
        return blob(await self._r.get(self._k.attachment(rid, index)))
