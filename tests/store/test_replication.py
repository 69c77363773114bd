"""A change is answered only once a replica holds it in its AOF (HUB_REDIS_REPLICA_ACKS),
and the hub follows a Sentinel failover. Real Valkey processes: a primary, a replica
(`--replicaof`) and a sentinel (`--sentinel`)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path

import pytest
import redis
from rq import Queue

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.sandbox import install_world, make_world
from hub.store import connect
from hub.store.connection import jobs_redis_at
from hub.web.app import create_app
from tests.conftest import EXAMPLE

from ..faults.harness import RedisProcess, wait_until

DEST, TYPE = "harbor-house", "discharge-handoff"


async def hub_on(aiohttp_client, url: str, tmp_path: Path, **settings):
    """A hub app whose every change waits for a replica, with the example CCR installed."""
    clock = FakeClock(time.time())
    settings = Settings(redis_url=url, ccr_dir=EXAMPLE, data_dir=tmp_path / "var",
                        redis_replica_acks=1, redis_timeout=1.5, **settings)
    services = build_services(settings, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    return client, services, world


def body(world, n: int = 0):
    nurse = world.first("mercy-hospital", "sender")
    sealed = world.seal_referral(nurse, DEST, TYPE, b'{"n": %d}' % n)
    return nurse, sealed.header.envelope_id.hex(), world.submit_body(sealed, DEST, TYPE)


def on_replica(port: int, rid: str) -> bool:
    with redis.Redis(port=port) as c:
        return c.exists(f"ccr:ref:{rid}:envelope") == 1


async def test_a_change_no_replica_confirms_is_answered_503_and_found_by_its_retry(
        replica_set, aiohttp_client, tmp_path) -> None:
    client, services, world = await hub_on(aiohttp_client, replica_set.url, tmp_path)
    nurse, rid, doc = body(world)
    r = await client.post("/v1/referrals", json=doc, headers=nurse.auth)
    assert r.status == 201 and on_replica(replica_set.replica.port, rid)

    replica_set.replica.kill()
    nurse, rid, doc = body(world, 1)
    r = await client.post("/v1/referrals", json=doc, headers=nurse.auth)
    assert r.status == 503 and int(r.headers["Retry-After"]) >= 1.5
    r = await client.post("/v1/referrals", json=doc, headers=nurse.auth)  # the same again
    assert r.status == 503, "a retry must not be answered before a replica holds it"

    replica_set.replica.restart()  # it resyncs, then rewrites its AOF before it confirms
    for _ in range(40):
        r = await client.post("/v1/referrals", json=doc, headers=nurse.auth)
        if r.status != 503:
            break
        await asyncio.sleep(0.25)
    assert r.status == 200 and (await r.json())["id"] == rid
    assert on_replica(replica_set.replica.port, rid)
    await services.close()


async def test_the_engine_goes_on_without_a_replica_rather_than_stop_escalating(
        replica_set, caplog) -> None:
    store = connect(replica_set.url, "eng", timeout=1.5, replicas=1, lenient=True)
    try:
        replica_set.replica.kill()
        caplog.set_level(logging.WARNING)
        started = time.monotonic()
        await store.engine.alarm(100.0, 99.0, 30, 900)  # a script: waits, then goes on
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(5):
            await store.engine.alarm(100.0, 99.0, 30, 900)
        assert time.monotonic() - started < first, "it kept waiting for the missing replica"
        assert "goes on without waiting" in caplog.text
    finally:
        await store.close()


async def test_the_hub_and_rq_follow_a_sentinel_failover(replica_set) -> None:
    store = connect(replica_set.url, "fo", timeout=1.5)
    queue = Queue("fo-jobs", connection=jobs_redis_at(replica_set.url))
    try:
        await store.engine.beat("ticker", 1.0)
        queue.enqueue_call("time.time")
        replica_set.primary.kill()
        wait_until(replica_set.failed_over, "the sentinel's failover", 30)
        for _ in range(100):  # each client finds the new primary on its next attempt
            try:
                await store.engine.beat("ticker", 2.0)
                queue.enqueue_call("time.time")
                break
            except redis.exceptions.ConnectionError:
                await asyncio.sleep(0.1)
        assert (await store.engine.beats(0)).ticker == 2.0
        assert len(queue) == 2
        with redis.Redis(port=replica_set.replica.port) as new_primary:
            assert new_primary.zscore("fo:engine:beats", "ticker") == 2.0
    finally:
        await store.close()
        queue.connection.close()


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server to compare")
async def test_a_server_without_waitaof_is_waited_for_with_wait(tmp_path, caplog) -> None:
    """Redis before 7.2 has WAIT (a replica received the write) but not WAITAOF."""
    binary = shutil.which("redis-server")
    primary = RedisProcess(tmp_path / "p", binary=binary)
    primary.start()
    replica = RedisProcess(tmp_path / "r", binary=binary,
                           extra=("--replicaof", "127.0.0.1", str(primary.port)))
    replica.start()
    store = connect(primary.url, "old", timeout=6, replicas=1)  # 2 s for each wait
    try:
        with redis.Redis(port=primary.port) as c:
            if "waitaof" in {str(n).lower() for n in c.command_list()}:
                pytest.skip("this redis-server has WAITAOF")
        wait_until(lambda: redis.Redis(port=replica.port).info("replication")
                   .get("master_link_status") == "up", "the replica in sync")
        caplog.set_level(logging.WARNING)
        assert (await store.engine.alarm(100.0, 99.0, 30, 900))[0] == "running"
        assert "no WAITAOF" in caplog.text
        assert (await store.engine.alarm(100.0, 99.0, 30, 900))[0] == "running"
    finally:
        await store.close()
        replica.kill()  # (a redis-server 7.0 replica may sit out a SIGTERM for ten seconds)
        primary.stop()
