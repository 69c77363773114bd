"""What the web tells about the escalation engine: /healthz keeps its load balancer's
meaning (this process and Redis) and adds the engine's figures; /healthz/engine answers
503 when escalation does not run; /metrics has the same figures; a 503 asks the client
to wait at least as long as the hub waits for Redis."""

from __future__ import annotations

from redis import Redis

from hub.build import build_services
from hub.config import Settings
from hub.sandbox import install_world
from hub.store.engine import WorkerBeat
from hub.web.app import create_app
from tests.conftest import EXAMPLE

from ..faults.harness import RedisProcess


def worker_beat(hub, redis_url: str, name: str = "w1") -> None:
    client = Redis.from_url(redis_url)
    try:
        WorkerBeat(client, hub.store.keys, name)(hub.clock.now())
    finally:
        client.close()


async def test_the_engine_is_stale_until_its_ticker_and_a_worker_have_run(hub,
                                                                          redis_url) -> None:
    assert (await (await hub.client.get("/healthz/engine")).json())["sealer_backlog"] > 0
    await hub.services.auditlog.seal()  # the audit events of setting the CCR up
    r = await hub.client.get("/healthz/engine")
    assert r.status == 503
    assert await r.json() == {"status": "stale", "ticker_age_s": None, "sealer_age_s": None,
                              "sealer_backlog": 0, "workers": 0, "rungs_fired": 0,
                              "last_rung_late_s": None}
    await hub.store.engine.beat("ticker", hub.clock.now())
    await hub.store.engine.beat("sealer", hub.clock.now() - 2)
    worker_beat(hub, redis_url)
    hub.clock.advance(5)
    r = await hub.client.get("/healthz/engine")
    doc = await r.json()
    assert r.status == 200 and doc["status"] == "ok"
    assert (doc["ticker_age_s"], doc["sealer_age_s"], doc["workers"]) == (5, 7, 1)


async def test_a_stale_engine_turns_healthz_engine_503_but_not_healthz(
        hub, redis_url, scrape) -> None:
    await hub.store.engine.beat("ticker", hub.clock.now())
    worker_beat(hub, redis_url)
    await hub.store.audit.append(hub.services.auditor.event(None, "test.event"))
    hub.clock.advance(31)  # HUB_ENGINE_STALE defaults to 30 s
    r = await hub.client.get("/healthz/engine")
    doc = await r.json()
    assert r.status == 503 and doc["status"] == "stale" and doc["ticker_age_s"] == 31
    assert doc["workers"] == 0 and doc["sealer_backlog"] >= 1
    r = await hub.client.get("/healthz")
    doc = await r.json()
    assert r.status == 200 and (doc["status"], doc["redis"]) == ("ok", "ok")
    assert doc["engine"]["ticker_age_s"] == 31 and doc["engine"]["sealer_backlog"] >= 1
    text = await scrape()
    for line in ("hub_engine_running 0.0", "hub_engine_ticker_age_seconds 31.0",
                 "hub_engine_workers 0.0", "hub_engine_sealer_age_seconds NaN"):
        assert line in text, line
    # a worker beating again is not enough while the ticker is not
    worker_beat(hub, redis_url, "w2")
    assert (await hub.client.get("/healthz/engine")).status == 503


async def test_a_stale_threshold_is_a_setting(hub, aiohttp_client, redis_url) -> None:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, engine_stale=5)
    services = build_services(settings, store=hub.store, clock=hub.clock,
                              ccr=hub.services.ccr)
    client = await aiohttp_client(create_app(settings, services))
    await hub.store.engine.beat("ticker", hub.clock.now())
    worker_beat(hub, redis_url)
    hub.clock.advance(5)
    assert (await client.get("/healthz/engine")).status == 200
    hub.clock.advance(1)
    assert (await client.get("/healthz/engine")).status == 503


async def test_a_503_asks_to_wait_at_least_as_long_as_the_hub_waits_for_redis(
        aiohttp_client, tmp_path) -> None:
    """Before, Retry-After was 1 s while the hub waits 3 s for Redis: a client doing as
    told came back while its first attempt could still be waiting."""
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        settings = Settings(redis_url=server.url, ccr_dir=EXAMPLE, redis_timeout=2.5)
        client = await aiohttp_client(create_app(settings))
        server.kill()
        for path in ("/healthz", "/healthz/engine", "/v1/inbox"):
            r = await client.get(path, headers={"Authorization": "Bearer ccr_x_y"})
            assert r.status == 503, (path, r.status)
            assert int(r.headers["Retry-After"]) >= 2.5, (path, r.headers["Retry-After"])
    finally:
        server.stop()


async def test_a_full_redis_is_answered_503_not_500(hub, aiohttp_client, tmp_path) -> None:
    """maxmemory reached under noeviction: Redis refuses writes until memory is freed or
    raised; the API says so as for any outage (before: a 500), and the engine waits."""
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        settings = Settings(redis_url=server.url, ccr_dir=EXAMPLE)
        services = build_services(settings, clock=hub.clock, ccr=hub.services.ccr)
        await install_world(hub.world, services)
        client = await aiohttp_client(create_app(settings, services))
        with Redis.from_url(server.url) as admin:
            admin.config_set("maxmemory", admin.info("memory")["used_memory"])
        w = hub.world
        nurse = w.first("mercy-hospital", "sender")
        sealed = w.seal_referral(nurse, "harbor-house", "discharge-handoff", b"x" * 4096)
        r = await client.post("/v1/referrals", headers=nurse.auth, json=w.submit_body(
            sealed, "harbor-house", "discharge-handoff"))
        assert r.status == 503 and r.headers["Retry-After"]
        await services.close()
    finally:
        server.stop()
