"""Agency roots and signed rosters as the hub keeps them: it stores and serves rosters but
cannot change them (clients verify every one against the root they pinned)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from hub.models import AuditEvent

from .codec import blob, dumps, items, number, text, text_fields
from .keys import Keys
from .scripts import Scripts


@dataclass(frozen=True)
class StoredRoster:
    version: int
    signed: str  # the signed roster's JSON, exactly as uploaded


class DirectoryStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def root(self, agency: str) -> bytes | None:
        return blob(await self._r.get(self._k.root(agency)))

    async def set_root_if_absent(self, agency: str, public: bytes, audit: AuditEvent) -> bool:
        return bool(await self._s.put_root(root=self._k.root(agency), audit=self._k.audit(),
                                           public_key=public, audit_event=dumps(audit)))

    async def replace_root(self, agency: str, public: bytes, audit: AuditEvent) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._k.root(agency), public)
            pipe.delete(self._k.roster(agency))
            pipe.xadd(self._k.audit(), {"event": dumps(audit)})
            await pipe.execute()

    async def roster_stamp(self, agency: str) -> tuple[int, bytes] | None:
        """The current roster's version and the root it must verify against, in one round
        trip: enough to tell whether a cached verification still holds."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hget(self._k.roster(agency), "version")
            pipe.get(self._k.root(agency))
            version, root = await pipe.execute()
        return (int(version), root) if version is not None and root is not None else None

    async def roster(self, agency: str) -> StoredRoster | None:
        row = await self._r.hgetall(self._k.roster(agency))
        if not row:
            return None
        fields = text_fields(row)
        return StoredRoster(int(fields["version"]), fields["signed"])

    async def put_roster(self, agency: str, version: int, signed: str,
                         audit: AuditEvent) -> tuple[str, int]:
        """('ok' | 'same' | 'rollback', the version now current)."""
        result, current = items(await self._s.put_roster(
            roster=self._k.roster(agency), audit=self._k.audit(), version=version, signed=signed,
            audit_event=dumps(audit)))
        return text(result), number(current)
