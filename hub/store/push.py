"""Each person's browsers' push subscriptions, by device id (hex): the subscription JSON a
browser gave (a push service's URL and the browser's public keys; nothing about any
referral)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

from .codec import text
from .keys import Keys


class PushStore:
    def __init__(self, redis: Redis, keys: Keys):
        self._r = redis
        self._k = keys

    async def put(self, person: str, device: str, subscription: dict[str, Any]) -> bool:
        """True when the device had none before."""
        return bool(await self._r.hset(self._k.push_subscriptions(person), device,
                                       json.dumps(subscription, sort_keys=True)))

    async def remove(self, person: str, device: str) -> bool:
        return bool(await self._r.hdel(self._k.push_subscriptions(person), device))

    async def of(self, person: str) -> dict[str, dict[str, Any]]:
        rows = await self._r.hgetall(self._k.push_subscriptions(person))
        return {text(k): json.loads(v) for k, v in rows.items()}

    async def keep_only(self, people: Iterable[str], devices: set[str]) -> list[tuple[str, str]]:
        """Remove every subscription of ``people`` whose device is not in ``devices``; the
        (person, device) pairs removed."""
        removed = []
        for person in people:
            key = self._k.push_subscriptions(person)
            gone = [d for d in map(text, await self._r.hkeys(key)) if d not in devices]
            if gone:
                await self._r.hdel(key, *gone)
                removed += [(person, d) for d in gone]
        return removed
