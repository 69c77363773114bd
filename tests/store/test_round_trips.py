"""Script calls made at once share one round trip to Redis, and each still gets its own
answer: its result, its own error reply, the failure of the trip, or its script loaded
again when Redis had forgotten it."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError, ResponseError

from hub.store.connection import redis_at
from hub.store.scripts import Scripts


@pytest.fixture
async def named(redis_url: str, redis: Redis):
    """A client of the store's kind whose connections carry a name of their own, a key
    prefix for the test, and a referral (status 'requested') to put blobs on."""
    name, prefix = f"trips-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex[:12]}"
    client = redis_at(redis_url, timeout=3)
    client.connection_pool.connection_kwargs["client_name"] = name
    await redis.hset(f"{prefix}:ref", "status", "requested")
    yield client, name, prefix
    await client.aclose()
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    await redis.delete(*keys)


def put(scripts: Scripts, prefix: str, n: int, fields: bytes = b'{"size": "3"}'):
    return scripts.put_blob(
        keys=[f"{prefix}:blob:{n}", f"{prefix}:meta:{n}", f"{prefix}:blobs", f"{prefix}:ref",
              f"{prefix}:history", f"{prefix}:audit"],
        args=[f"digest-{n}", f"bytes-{n}", fields, str(n), "{}", "{}", "blobs"])


async def connections(redis: Redis, name: str) -> int:
    return sum(1 for c in await redis.client_list() if c["name"] == name)


async def test_writes_made_at_once_travel_together_on_one_connection(named, redis) -> None:
    client, name, prefix = named
    scripts = Scripts(client)
    answers = await asyncio.gather(*(put(scripts, prefix, n) for n in range(30)))
    assert answers == [b"created"] * 30
    assert await redis.hget(f"{prefix}:ref", "blobs") == b"30"
    assert await redis.get(f"{prefix}:blob:17") == b"bytes-17"
    assert await connections(redis, name) == 1  # one at a time, they would have taken 30


async def test_an_error_reply_is_raised_to_its_own_caller_only(named, redis) -> None:
    client, _, prefix = named
    scripts = Scripts(client)
    answers = await asyncio.gather(put(scripts, prefix, 1), put(scripts, prefix, 2, b"not json"),
                                   put(scripts, prefix, 3), return_exceptions=True)
    assert answers[0] == answers[2] == b"created"
    assert isinstance(answers[1], ResponseError)
    assert await redis.hget(f"{prefix}:ref", "blobs") == b"2"


async def test_scripts_redis_forgot_are_loaded_again_for_every_call_waiting(named, redis) -> None:
    client, _, prefix = named
    scripts = Scripts(client)
    assert await put(scripts, prefix, 0) == b"created"
    await redis.script_flush()
    answers = await asyncio.gather(*(put(scripts, prefix, n) for n in range(1, 11)))
    assert answers == [b"created"] * 10
    assert await redis.hget(f"{prefix}:ref", "blobs") == b"11"


async def test_a_trip_that_fails_fails_every_call_on_it() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    client = redis_at(f"redis://127.0.0.1:{port}/0", timeout=1)
    scripts = Scripts(client)
    try:
        answers = await asyncio.gather(*(put(scripts, "nowhere", n) for n in range(5)),
                                       return_exceptions=True)
    finally:
        await client.aclose()
    assert all(isinstance(a, ConnectionError) for a in answers), answers
