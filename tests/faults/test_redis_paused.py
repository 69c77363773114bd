"""Redis stops answering (SIGSTOP: the process is there and its socket accepts, but nothing
comes back), under submission load, then resumes (SIGCONT). Meanwhile every request gets a
503 with Retry-After within a few seconds: nothing hangs. Nothing is half-written: writes
sent before the pause land whole after it, and a client retrying its 503 with the same
envelope finds its referral created once. After the resume everything works."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from .conftest import CANARY
from .harness import (
    Api,
    Ledger,
    RedisProcess,
    hub_env,
    installed_world,
    seal_many,
    serve,
    submit,
    submit_all,
    wait_for,
)
from .invariants import Evidence, check_invariants

BOUND = 4.5  # seconds: the hub waits 3 for Redis (HUB_REDIS_TIMEOUT), then answers 503
PAUSE = 4.0  # seconds Redis is stopped: longer than the hub waits


async def timed(api: Api, method: str, path: str, who, **kwargs) -> tuple[int, dict, float]:
    started = time.monotonic()
    status, _, headers = await api.call(method, path, who, timeout=30, **kwargs)
    return status, headers, time.monotonic() - started


async def probe(api: Api, before, fresh) -> list[tuple[int, dict, float]]:
    """Reads and writes of every kind while Redis is stopped."""
    return await asyncio.gather(
        *(timed(api, "POST", "/v1/referrals", s.sender, json=s.body) for s in fresh),
        *(timed(api, "GET", f"/v1/referrals/{s.rid}", s.recipient) for s in before),
        timed(api, "GET", "/v1/inbox", before[0].recipient),
        timed(api, "GET", "/healthz", before[0].recipient))


@pytest.mark.slow
async def test_a_paused_redis_gets_fast_503s_and_nothing_half_written(
        redis_server: RedisProcess, tmp_path: Path) -> None:
    prefix = f"pause-{uuid.uuid4().hex[:8]}"
    services, world = await installed_world(redis_server.url, prefix, tmp_path)
    server, url = serve(hub_env(redis_server.url, prefix, tmp_path), tmp_path)
    ledger = Ledger()
    before, load, fresh, after = (seal_many(world, n, CANARY) for n in (4, 60, 4, 4))
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, url)
            for sub in before:
                assert await submit(api, sub, ledger) == 201
            clients = asyncio.create_task(submit_all(api, load, ledger, clients=8))
            await wait_for(lambda: len(ledger.answered) >= len(before) + 8, "the load")
            redis_server.pause()
            answers, _ = await asyncio.gather(probe(api, before, fresh), asyncio.sleep(PAUSE))
            redis_server.resume()
            await clients
            for status, headers, took in answers:
                assert status == 503 and headers.get("Retry-After"), (status, headers)
                assert took < BOUND, f"a request took {took:.1f}s against a paused Redis"
            assert ledger.unknown, "the pause did not catch the load"
            assert max(ledger.waits) < BOUND, f"a submission waited {max(ledger.waits):.1f}s"
            for sub in fresh + after:
                assert await submit(api, sub, ledger) in (200, 201)
            await check_invariants(Evidence(
                services, world, CANARY, ledger, api, time.time(),
                logs=[server.log.read_text()], server=redis_server), settled=False)
    finally:
        server.stop()
        await services.close()
