"""Issue 17, 5: Redis must not grow without bound from what anyone can send. A request for
a made-up referral id left a permanent trail index (1,000 ids, 1,000 keys); every failed
sign-in appended an audit event, even when answered 429; and under noeviction a full Redis
takes the hub down. Now a probe of an id leaves no index, failed sign-ins past the limit
are one audit event per address and window with a count, and each person has a request
limit (429 with Retry-After)."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

from hub.services.tokens import FAILURE_WINDOW

PROBES = SIGN_INS = 10_000


async def footprint(hub) -> tuple[int, int]:
    """The keys under this hub's prefix, and the bytes Redis holds for them."""
    redis = hub.store.redis
    keys = [k async for k in redis.scan_iter(match=f"{hub.store.keys.prefix}:*", count=1000)]
    sizes = await asyncio.gather(*(redis.memory_usage(k, samples=0) for k in keys))
    return len(keys), sum(s or 0 for s in sizes)


async def _all(requests, width: int = 64) -> list[tuple[int, str | None]]:
    gate = asyncio.Semaphore(width)

    async def one(request):
        async with gate:
            r = await request()
            await r.read()
            return r.status, r.headers.get("Retry-After")

    return await asyncio.gather(*(one(r) for r in requests))


async def test_made_up_ids_and_failed_sign_ins_leave_redis_almost_as_it_was(hub) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    await hub.services.auditlog.seal()
    before = await footprint(hub)
    probes = [lambda: hub.client.get(f"/v1/referrals/{secrets.token_hex(16)}",
                                     headers=nurse.auth) for _ in range(PROBES)]
    guesses = [lambda: hub.client.get("/v1/inbox", headers={
        "Authorization": f"Bearer ccr_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"})
        for _ in range(SIGN_INS)]
    answers = await _all([x for pair in zip(probes, guesses, strict=True) for x in pair])
    counts = Counter(status for status, _ in answers)
    limit = hub.services.limits._limit
    assert counts == {404: limit, 401: 20, 429: PROBES - limit + SIGN_INS - 20}, counts
    assert {after for status, after in answers if status == 429} == {"60", "300"}
    hub.clock.advance(FAILURE_WINDOW)  # the windows end; a worker releases their tallies
    await hub.store.audit.release_tallies(hub.clock.now())
    await hub.services.auditlog.seal()
    keys, size = await footprint(hub)
    assert keys - before[0] < 100 and size - before[1] < 1_000_000, (keys - before[0],
                                                                     size - before[1])
    tallies = [e for e in await hub.store.audit.events() if e.count]
    assert sorted((e.action, e.count) for e in tallies) == [
        ("auth", SIGN_INS - 20), ("request", PROBES - limit)]
