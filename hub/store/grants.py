"""Key grants beside a referral's envelope (docs/envelope.md, "Key grants"), and who can read
each referral: the devices it was sealed to and those granted it since."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import blob, dumps, text
from .keys import Keys
from .scripts import Scripts


@dataclass(frozen=True)
class StoredGrant:
    envelope_id: str
    grantee_id: str
    raw: bytes
    reader: bool  # a grant of the referral's own envelope (not of a reply)
    granter_id: bytes = b""


class GrantStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def put(self, rid: str, grants: Sequence[StoredGrant], audit: AuditEvent) -> str:
        """The number of grants newly stored (as text), 'missing' or 'closed' (the envelope
        is gone: nothing is stored)."""
        k = self._k
        entries: list[object] = []
        for g in grants:
            entries += [f"{g.envelope_id}:{g.grantee_id}", g.raw, g.grantee_id if g.reader else ""]
        return text(await self._s.put_grants(
            ref=k.referral(rid), envelope=k.envelope(rid), grants=k.grants(rid),
            granted=k.granted(rid), audit=k.audit(), audit_event=dumps(audit), entries=entries))

    async def first_recovery(self, agency: str, window: int) -> bool:
        """True for the first use of ``agency``'s recovery key in ``window`` seconds."""
        return bool(await self._r.set(self._k.recovery_used(agency), b"1", nx=True, ex=window))

    async def addressed_to(self, rid: str, device_ids: Iterable[str]) -> list[StoredGrant]:
        wanted = set(device_ids)
        rows = await self._r.hgetall(self._k.grants(rid))
        out = []
        for field, raw in sorted(rows.items()):
            envelope_id, grantee = text(field).split(":")
            grant = blob(raw)
            if grantee in wanted and grant is not None:
                out.append(StoredGrant(envelope_id, grantee, grant, envelope_id == rid))
        return out

    async def readers(self, rids: Sequence[str]) -> dict[str, set[str]]:
        """Each referral's readers: its ``sealed_to`` devices and every device granted it."""
        async with self._r.pipeline(transaction=False) as pipe:
            for rid in rids:
                pipe.hget(self._k.referral(rid), "sealed_to")
                pipe.smembers(self._k.granted(rid))
            rows = await pipe.execute()
        out = {}
        for i, rid in enumerate(rids):
            sealed, granted = rows[2 * i], rows[2 * i + 1]
            out[rid] = set(text(sealed).split() if sealed else ()) | {text(g) for g in granted}
        return out
