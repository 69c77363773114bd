"""Issue 17, 7: connections that trickle their headers or their body at a byte at a time
stayed open indefinitely, each holding a slot of the server. A client that has not sent a
request's headers within HUB_CLIENT_TIMEOUT (of connecting, or of the answer before), or
its body within that of its headers, is cut off. A few such connections at once, with a
one-second timeout; a normal request is answered meanwhile."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from hub.config import Settings
from hub.web.app import create_app
from tests.conftest import EXAMPLE

TIMEOUT = 1.0
SLACK = 2.5  # the server's timers, a loaded machine


async def _trickle(host: str, port: int, head: bytes, then: bytes) -> tuple[float, bytes]:
    """Send ``head`` at once, then ``then`` a byte every 0.1 s: how long until the server
    closed the connection, and what it answered."""
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    writer.write(head)
    answer = b""

    async def feed() -> None:
        for byte in then:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)

    feeding = asyncio.create_task(feed())
    try:
        while chunk := await reader.read(4096):
            answer += chunk
    except ConnectionResetError:
        pass
    finally:
        feeding.cancel()
        writer.close()
    return time.monotonic() - started, answer


async def test_trickling_headers_and_bodies_are_cut_off(hub, aiohttp_server, redis_url) -> None:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, client_timeout=TIMEOUT)
    server = await aiohttp_server(create_app(settings, hub.services))
    host, port = server.host, server.port
    nurse = hub.world.first("mercy-hospital", "sender")
    headers = b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"
    body_head = (b"POST /v1/referrals HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                 b"Authorization: " + nurse.auth["Authorization"].encode() +
                 b"\r\nContent-Length: 300\r\n\r\n")
    slow = [_trickle(host, port, b"", headers) for _ in range(3)] + \
        [_trickle(host, port, body_head, b"{" * 300) for _ in range(3)]
    async with asyncio.timeout(20):
        results = asyncio.gather(*slow)
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://{host}:{port}/healthz") as r:
            assert r.status == 200  # the same server still answers others meanwhile
        cut = await results
    for seconds, answer in cut[:3]:
        assert seconds < TIMEOUT + SLACK and answer == b"", (seconds, answer)
    for seconds, answer in cut[3:]:
        assert seconds < 2 * TIMEOUT + SLACK, seconds
        assert answer.startswith(b"HTTP/1.1 408") and b"request_timeout" in answer, answer
