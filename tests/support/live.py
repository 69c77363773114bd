"""A real hub listening on 127.0.0.1 (a free port), run by an event loop in a thread of its
own, for tests that drive it with a blocking client (schemathesis, requests): the example
CCR installed, a token for everyone, its own key prefix, removed afterwards.

The tests' own asyncio loop cannot serve requests that a blocking client in the same loop
is waiting on, hence the thread; ``LiveHub.run`` runs a coroutine (a store read, a world
set-up step) on the server's loop and waits for it."""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from aiohttp import web
from redis.asyncio import Redis

from hub.build import Services, build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.crypto import Sealed
from hub.sandbox import World, install_world, make_world
from hub.store import Store
from hub.web.app import create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"
T = TypeVar("T")
SENDER, DEST, RECIPIENT, TYPE = "mercy-nurse-1", "harbor-house", "harbor-intake", \
    "discharge-handoff"


@dataclass
class LiveHub:
    base_url: str
    world: World
    services: Services
    store: Store
    clock: FakeClock
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, method: str, path: str, who: str | None = None,
             **kwargs: Any) -> requests.Response:
        headers = {**(self.world.members[who].auth if who else {}),
                   **kwargs.pop("headers", {})}
        return requests.request(method, self.base_url + path, headers=headers,
                                timeout=kwargs.pop("timeout", 30), **kwargs)

    def submit(self) -> tuple[str, Sealed]:
        """A real referral from Mercy to Harbor House, sealed as a nurse's SDK would."""
        w = self.world
        sealed = w.seal_referral(w.members[SENDER], DEST, TYPE, b"{}", attachments=(b"scan",))
        r = self.call("POST", "/v1/referrals", SENDER, json=w.submit_body(sealed, DEST, TYPE))
        assert r.status_code == 201, r.text
        return r.json()["id"], sealed

    def thread(self) -> tuple[dict[str, str], Sealed]:
        """A submitted referral with its attachment uploaded and a reply from Harbor House:
        ({"rid", "reply_id"}, the sealed referral)."""
        rid, sealed = self.submit()
        r = self.call("PUT", f"/v1/referrals/{rid}/attachments/0", SENDER,
                      data=bytes(sealed.attachments[0]),
                      headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, r.text
        w = self.world
        reply = w.seal_reply(w.members[RECIPIENT], sealed.header.envelope_id, "mercy-hospital",
                             TYPE, b"ok")
        r = self.call("POST", f"/v1/referrals/{rid}/replies", RECIPIENT,
                      json={"envelope": base64.b64encode(reply.envelope).decode()})
        assert r.status_code == 201, r.text
        return {"rid": rid, "reply_id": r.json()["id"]}, sealed


async def _start(redis_url: str, max_body_bytes: int, loop: asyncio.AbstractEventLoop
                 ) -> tuple[LiveHub, web.AppRunner]:
    store = Store.open(Redis.from_url(redis_url), f"live-{uuid.uuid4().hex[:12]}")
    clock = FakeClock(1_800_000_000)
    # The fuzzers make thousands of requests as a handful of people on a clock that does not
    # move: past any person's request limit (tests/security/test_growth.py tests the limit).
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, max_body_bytes=max_body_bytes,
                        person_rate_limit=10**9)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    runner = web.AppRunner(create_app(settings, services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return LiveHub(f"http://{host}:{port}", world, services, store, clock, loop), runner


async def _stop(live: LiveHub, runner: web.AppRunner) -> None:
    await runner.cleanup()
    redis = live.store.redis
    keys = [k async for k in redis.scan_iter(match=f"{live.store.keys.prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await live.services.close()


@contextmanager
def redis_for_module() -> Iterator[str]:
    """HUB_REDIS_URL when set (each test keeps to its own key prefix), else an embedded
    Valkey of its own (tests/conftest.py's session Redis, and modules that need their own)."""
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


@contextmanager
def live_hub(redis_url: str, *, max_body_bytes: int = 2 * 1024 * 1024) -> Iterator[LiveHub]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-hub", daemon=True)
    thread.start()
    try:
        live, runner = asyncio.run_coroutine_threadsafe(
            _start(redis_url, max_body_bytes, loop), loop).result(60)
        try:
            yield live
        finally:
            asyncio.run_coroutine_threadsafe(_stop(live, runner), loop).result(60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
