"""Redis is killed with SIGKILL twice while clients submit sealed referrals to a real
`hub serve`, and restarted on the same port and directory (AOF, fsync always). Clients
retry every unknown outcome (no answer, a dropped connection, a 503) with the same
envelope. Afterwards every referral that was answered 201 is there, each envelope id is
one referral, submitted and audited once, and the canary is nowhere."""

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
    submit_all,
    wait_for,
)
from .invariants import Evidence, check_invariants

REFERRALS, CLIENTS = 200, 12
KILL_AT = (50, 120)  # answered submissions when Redis is killed
DOWN = 0.5  # seconds Redis stays dead


async def kill_during(redis_server: RedisProcess, ledger: Ledger) -> None:
    for at in KILL_AT:
        await wait_for(lambda at=at: len(ledger.answered) >= at, f"{at} answers")
        redis_server.kill()
        await asyncio.sleep(DOWN)
        await asyncio.to_thread(redis_server.restart)


@pytest.mark.slow
async def test_redis_killed_under_load_loses_no_acknowledged_referral(
        redis_server: RedisProcess, tmp_path: Path) -> None:
    prefix = f"kill-{uuid.uuid4().hex[:8]}"
    services, world = await installed_world(redis_server.url, prefix, tmp_path)
    subs = seal_many(world, REFERRALS, CANARY)
    server, url = serve(hub_env(redis_server.url, prefix, tmp_path, HUB_MODE="production",
                                HUB_REDIS_REPLICA_ACKS="0"),  # one Redis, no replica
                        tmp_path)
    ledger = Ledger()
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, url)
            await asyncio.gather(submit_all(api, subs, ledger, CLIENTS),
                                 kill_during(redis_server, ledger))
            assert len(ledger.answered) == REFERRALS
            assert ledger.unknown, "the kills did not catch the load"
            await services.store.redis.connection_pool.disconnect()  # this side's, too
            await check_invariants(Evidence(
                services, world, CANARY, ledger, api, time.time(),
                logs=[server.log.read_text()], server=redis_server), settled=False)
    finally:
        server.stop()
        await services.close()
