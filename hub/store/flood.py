"""Flood control's records: each person's and agency's sliding window of sent notices, and
each person's digest (per channel) of notices held back while the window was full."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from .codec import as_hash, real, text_fields
from .keys import Keys
from .notices import REPORTS_FOR
from .outbox import encode_changes
from .scripts import Scripts

DIGEST = "digest-"  # a deliveries member naming a digest rather than a notice


class FloodStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts):
        self._r = redis
        self._k = keys
        self._s = scripts

    async def take(self, member: str, *, person: str, channel: str, agency: str, now: float,
                   window: float, person_limit: int, agency_limit: int) -> float:
        """0 when a slot was taken for ``member``; else when the first slot frees."""
        k = self._k
        free = await self._s.take_send_slot(
            person_window=k.sent_by_person(person, channel),
            agency_window=k.sent_by_agency(agency), now=now, window=window,
            person_limit=person_limit, agency_limit=agency_limit, member=member)
        return real(free)

    async def give_back(self, member: str, *, person: str, channel: str, agency: str) -> None:
        """Free the slot ``member`` took: the send failed, nothing reached the person."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.zrem(self._k.sent_by_person(person, channel), member)
            pipe.zrem(self._k.sent_by_agency(agency), member)
            await pipe.execute()

    async def hold(self, nid: str, digest: str, meta: dict[str, str], send_at: float) -> None:
        """Move a notice into its person's digest, sent at ``send_at`` (or sooner, if the
        digest is already due sooner)."""
        k = self._k
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(k.notice(nid), mapping=as_hash({"status": "held", "digest": digest}))
            pipe.hset(k.digest(digest), mapping=as_hash(meta))
            pipe.sadd(k.digest_notices(digest), nid)
            pipe.zadd(k.deliveries(), {DIGEST + digest: send_at}, lt=True)
            pipe.zrem(k.inflight(k.deliveries()), nid)
            await pipe.execute()

    async def held(self, digest: str) -> tuple[dict[str, str], list[str]]:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._k.digest(digest))
            pipe.smembers(self._k.digest_notices(digest))
            meta, nids = await pipe.execute()
        return (text_fields(meta),
                sorted(n.decode() for n in nids))

    async def failed_attempt(self, digest: str) -> int:
        """Count a failed send of the digest; how many have failed since it last went out."""
        return int(await self._r.hincrby(self._k.digest(digest), "attempts", 1))

    async def settle(self, digest: str, nids: list[str], changes: Mapping[str, object],
                     sent_as: str | None = None) -> None:
        """The digest went out (or its notices were cancelled): record it on each notice,
        remember the gateway's id for the digest's notices (``sent_as``, to match its
        delivery reports) and let the digest go."""
        k = self._k
        async with self._r.pipeline(transaction=True) as pipe:
            for nid in nids:
                pipe.hset(k.notice(nid), mapping=as_hash(encode_changes(changes)))
            if sent_as:
                pipe.set(k.sent_as(sent_as), " ".join(nids), ex=REPORTS_FOR)
            pipe.hdel(k.digest(digest), "attempts")
            pipe.srem(k.digest_notices(digest), *nids)
            pipe.zrem(k.inflight(k.deliveries()), DIGEST + digest)
            await pipe.execute()
