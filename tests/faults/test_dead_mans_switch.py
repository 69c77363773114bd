"""The worker stopped for good (SIGKILL, no supervisor): two real `hub serve` processes,
each watching the engine's heartbeats, put a banner on every dashboard and inbox page and
send the operators and coordinators one alert between them, by email and SMS through the
real adapters, within HUB_ENGINE_STALE + 10 s; when a worker runs again, one "escalation
resumed" each. Before, nothing noticed: /healthz went on answering ok."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from ..escalation.conftest import ThreadedServer
from .harness import (
    FlakyGateway,
    HubProcess,
    RedisProcess,
    Smtp,
    hub_env,
    installed_world,
    serve,
)

STALE = 2  # HUB_ENGINE_STALE, seconds
EMAILS = {"ops@ccr.example.org", "coordinator@ccr.example.org"}  # the operator, the coordinator
PHONES = {"+15555550190", "+15555550150"}
BANNER = re.compile(r"Escalation has not run since \d\d:\d\d C[SD]T: notices are not going out")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def page(url: str, token: str, path: str) -> str:
    """``path`` as a signed-in browser sees it."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{url}/signin") as r:
            csrf = CSRF.search(await r.text()).group(1)
        async with browser.post(f"{url}/signin", data={"csrf": csrf, "token": token,
                                                       "next": path}) as r:
            assert r.status == 200, await r.text()
            return await r.text()


def alerts(smtp: Smtp, sms: FlakyGateway, stopped: bool) -> tuple[list[str], list[str]]:
    """Who was told (by email, by text) that escalation stopped, or runs again."""
    subject = b"escalation has stopped" if stopped else b"escalation is running again"
    text = "has not run since" if stopped else "runs again"
    mail = [re.search(rb"^To: (\S+)", raw, re.M).group(1).decode() for raw in smtp.inbox.raw
            if subject in raw]
    return sorted(mail), sorted(t["to"] for t in sms.texts if text in t["body"])


async def until(condition, what: str, seconds: float) -> float:
    started = time.monotonic()
    while not await condition():
        assert time.monotonic() - started < seconds, f"no {what} within {seconds:.0f} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.slow
async def test_a_stopped_worker_is_on_every_page_and_told_once_then_resumed_once(
        redis_server: RedisProcess, tmp_path: Path) -> None:
    prefix = f"switch-{uuid.uuid4().hex[:8]}"
    services, world = await installed_world(redis_server.url, prefix, tmp_path)
    smtp, sms = Smtp(), FlakyGateway()
    gateway = ThreadedServer(sms.app())
    (tmp_path / "sms-token").write_text("gateway-token")
    env = hub_env(redis_server.url, prefix, tmp_path, HUB_SMTP_PORT=str(smtp.port),
                  HUB_SMS_GATEWAY_URL=f"{gateway.url}/sms",
                  HUB_SMS_TOKEN_FILE=str(tmp_path / "sms-token"), HUB_ENGINE_STALE=str(STALE))
    worker = HubProcess(("worker",), env, tmp_path / "worker.log").start()
    webs = []
    try:
        for n in range(2):
            (tmp_path / f"web{n}").mkdir()
            webs.append(serve(env, tmp_path / f"web{n}"))
        coordinator = world.members["ccr-coordinator"].token
        intake = world.members["harbor-intake"].token

        async def running() -> bool:
            return (await services.engine_health.health()).running

        await until(running, "engine running", 30)
        worker.kill()  # stopped for good: nothing restarts it
        everyone = (sorted(EMAILS), sorted(PHONES))

        async def told() -> bool:
            return alerts(smtp, sms, stopped=True) == everyone

        killed = time.monotonic()
        took = await until(told, "alert", STALE + 10)
        for _, url in webs:  # each process shows it once it has looked (every STALE / 4)

            async def banners(url: str = url) -> bool:
                return bool(BANNER.search(await page(url, coordinator, "/dashboard"))
                            and BANNER.search(await page(url, intake, "/inbox")))

            await until(banners, "the banner", STALE + 10 - (time.monotonic() - killed))
        await asyncio.sleep(2 * STALE)  # both processes looked again, several times
        assert alerts(smtp, sms, stopped=True) == everyone, "told twice"
        print(f"alert {took:.1f} s after the worker was killed")

        worker.start()

        async def all_clear() -> bool:
            return alerts(smtp, sms, stopped=False) == everyone

        await until(all_clear, "resumed notice", 30)
        await asyncio.sleep(2 * STALE)
        assert alerts(smtp, sms, stopped=False) == everyone, "resumed told twice"
        for _, url in webs:
            assert not BANNER.search(await page(url, intake, "/inbox"))
    finally:
        worker.stop()
        for web, _ in webs:
            web.stop()
        smtp.stop()
        gateway.stop()
        await services.close()
