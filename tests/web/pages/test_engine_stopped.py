"""The dead man's switch, inside the web processes (two apps here, on the same Redis, stand
for N processes): when the engine stops, every dashboard and inbox page says since when,
in the reader's own time zone, and the operators and coordinators get one alert straight
through the channels, again every 15 minutes while it lasts, and one "resumed" when it
runs again. (tests/faults/test_dead_mans_switch.py does it with real processes.)"""

from __future__ import annotations

import asyncio
import time

from redis import Redis

from hub.build import build_services
from hub.config import Settings
from hub.store.engine import WorkerBeat
from hub.web.app import create_app
from tests.conftest import EXAMPLE

from .conftest import open_browser
from .support import Outbox

STALE = 1.0  # HUB_ENGINE_STALE here: the watch looks every quarter of it
OPERATOR, COORDINATOR = "ops@ccr.example.org", "coordinator@ccr.example.org"
TOLD = {"email": {OPERATOR, COORDINATOR}, "sms": {"+15555550190", "+15555550150"}}
BANNER = "Escalation has not run since"


async def engine_ran(hub, redis_url: str) -> None:
    """A ticker and a worker completed a cycle at the hub clock's time."""
    await hub.store.engine.beat("ticker", hub.clock.now())
    client = Redis.from_url(redis_url)
    try:
        WorkerBeat(client, hub.store.keys, "worker-1")(hub.clock.now())
    finally:
        client.close()


async def until(condition, what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.02)


def recipients(channels: dict[str, Outbox], stopped: bool) -> dict[str, list[str]]:
    word = "stopped" if stopped else "running again"
    return {kind: sorted(n.to for n in out.sent if word in n.subject or
                         (kind == "sms" and ("not run since" if stopped else "runs again")
                          in n.text)) for kind, out in channels.items()}


async def test_a_stopped_engine_is_on_every_page_and_told_once_across_processes(
        hub, aiohttp_client, redis_url) -> None:
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, engine_stale=STALE)
    services = build_services(settings, store=hub.store, clock=hub.clock,
                              ccr=hub.services.ccr)
    channels = {"email": Outbox("email"), "sms": Outbox("sms")}
    servers = [(await aiohttp_client(create_app(settings, services, senders=channels))).server
               for _ in range(2)]

    async def page(person: str, path: str, server: int) -> str:
        browser = await open_browser(aiohttp_client, servers[server],
                                     hub.world.members[person].token)
        status, html = await browser.text(path)
        assert status == 200
        return html

    await engine_ran(hub, redis_url)
    await asyncio.sleep(3 * STALE / 4)
    assert BANNER not in await page("ccr-coordinator", "/dashboard", 0)
    hub.clock.set(1_800_003_600)  # an hour later: it last ran at 02:00 at the harbor

    await until(lambda: recipients(channels, True)["email"], "the alert")
    await asyncio.sleep(STALE)  # both processes looked again meanwhile
    told = recipients(channels, True)
    assert {k: set(v) for k, v in told.items()} == TOLD
    assert all(len(v) == 2 for v in told.values()), f"told more than once: {told}"
    for person, path, server in (("ccr-coordinator", "/dashboard", 0),
                                 ("harbor-intake", "/inbox", 1),
                                 ("harbor-intake", "/dashboard", 0)):
        html = await page(person, path, server)
        assert f"{BANNER} 02:00 CST: notices are not going out" in html, html[:2000]
    alert = next(n for n in channels["email"].sent if n.to == OPERATOR)
    assert "02:00 CST" in alert.text and "/healthz/engine" in alert.text
    assert "referral" not in alert.subject.lower()

    hub.clock.advance(15 * 60)  # a quarter of an hour later it is still stopped
    await until(lambda: len(recipients(channels, True)["email"]) == 4, "the second alert")
    await asyncio.sleep(STALE)
    assert len(recipients(channels, True)["email"]) == 4

    await engine_ran(hub, redis_url)
    await until(lambda: recipients(channels, False)["email"], "the resumed notice")
    await asyncio.sleep(STALE)
    resumed = recipients(channels, False)
    assert {k: set(v) for k, v in resumed.items()} == TOLD
    assert all(len(v) == 2 for v in resumed.values()), f"told more than once: {resumed}"
    assert BANNER not in await page("harbor-intake", "/inbox", 1)


async def test_no_banner_and_no_alert_where_no_engine_ever_ran(hub, aiohttp_client,
                                                               redis_url) -> None:
    """A hub whose worker has not started yet: /healthz/engine says so, nobody is paged."""
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, engine_stale=STALE)
    services = build_services(settings, store=hub.store, clock=hub.clock,
                              ccr=hub.services.ccr)
    channels = {"email": Outbox("email"), "sms": Outbox("sms")}
    server = (await aiohttp_client(create_app(settings, services, senders=channels))).server
    coordinator = await open_browser(aiohttp_client, server,
                                     hub.world.members["ccr-coordinator"].token)
    await asyncio.sleep(STALE)
    assert BANNER not in (await coordinator.text("/dashboard"))[1]
    assert not channels["email"].sent and not channels["sms"].sent
    r = await coordinator.get("/healthz/engine")
    assert r.status == 503 and (await r.json())["ticker_age_s"] is None
