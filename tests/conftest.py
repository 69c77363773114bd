"""Shared fixtures: a real Redis (HUB_REDIS_URL, or an embedded Valkey started once per
session), each test on its own key prefix, cleaned around it; a fake clock; and a running
hub over HTTP (pytest-aiohttp) with the example CCR installed: roots registered, rosters
published, a token for everyone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from hub.build import Services, build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.sandbox import World, install_world, make_world
from hub.store import Store
from hub.web.app import create_app
from tests.support.live import redis_for_module


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_for_module() as url:
        yield url


@pytest.fixture
def replica_set(tmp_path: Path):
    """A primary with one replica under one sentinel (Valkey processes of the test's own:
    tests/faults/harness.py ReplicaSet), started, and stopped after the test."""
    from tests.faults.harness import ReplicaSet

    found = ReplicaSet(tmp_path / "set")
    found.start()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis: Redis) -> AsyncIterator[Store]:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield Store.open(redis, prefix)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000)


EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "example"


@dataclass
class Hub:
    client: TestClient
    services: Services
    world: World
    store: Store
    clock: FakeClock


@pytest.fixture
async def hub(aiohttp_client, store: Store, clock: FakeClock, redis_url: str) -> Hub:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, max_body_bytes=2 * 1024 * 1024)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    return Hub(client, services, world, store, clock)


@pytest.fixture
async def scrape(hub: Hub, aiohttp_client, redis_url: str, tmp_path: Path):
    """The hub's Prometheus figures as its scraper reads them: /metrics with the scrape
    token (HUB_METRICS_TOKEN_FILE) on an app over the same services."""
    token = tmp_path / "scrape-token"
    token.write_text("scrape")
    scraper = await aiohttp_client(create_app(Settings(
        redis_url=redis_url, ccr_dir=EXAMPLE, metrics_token_file=token), hub.services))

    async def read() -> str:
        r = await scraper.get("/metrics", headers={"Authorization": "Bearer scrape"})
        assert r.status == 200, await r.text()
        return await r.text()

    return read
