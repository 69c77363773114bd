"""Shared fixtures: a real Redis (HUB_REDIS_URL, or an embedded Valkey started once per
session), each test on its own key prefix, cleaned around it; a fake clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from hub.clock import FakeClock
from hub.store import Store


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("HUB_REDIS_URL")
    if url:
        yield url
        return
    from hub.embedded import start_embedded

    server = start_embedded(None, durable=False)
    try:
        yield server.connection_url
    finally:
        server.stop()


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
