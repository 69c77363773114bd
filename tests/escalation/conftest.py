"""The escalation rig: a real SMTP server (aiosmtpd) and a loopback SMS gateway, both able
to misbehave on demand; RQ's SimpleWorker in burst mode running the real jobs; the ticker;
and the hub's fake clock."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue, SimpleWorker

from hub.adapters.email import EmailSender
from hub.adapters.sms import WebhookSms
from hub.build import build_services
from hub.config import Settings
from hub.escalation import runtime
from hub.escalation.ticker import Ticker
from hub.store import connect

BASE_URL = "https://hub.example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server's handler: keeps what it accepts; ``refuse`` makes it answer DATA
    with that reply instead (e.g. '421 try later')."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class Gateway:
    """A loopback SMS gateway: keeps what it accepts; ``fail`` makes it answer that status
    (with ``retry_after`` as its Retry-After header)."""

    texts: list[dict] = field(default_factory=list)
    fail: int | None = None
    retry_after: str | None = None  # sent with a failure, when set

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail:
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return web.json_response({"error": "no"}, status=self.fail, headers=headers)
        doc = await request.json()
        self.texts.append(doc)
        return web.json_response({"id": f"sms-{len(self.texts)}"}, status=201)


class ThreadedServer:
    """An aiohttp app served from its own thread and loop, so it keeps answering while the
    test's own loop is blocked working the queue."""

    def __init__(self, app: web.Application):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app)
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@dataclass
class Rig:
    hub: object
    mail: Mailbox
    sms: Gateway
    ticker: Ticker
    queue: Queue

    async def run_due(self) -> int:
        """Tick and work the queue until nothing more is due at the clock's time."""
        total = 0
        for _ in range(20):
            handed = await self.ticker.tick()
            if not handed:
                return total
            total += handed
            self.work()
            failed = self.queue.failed_job_registry
            assert failed.count == 0, [self.queue.fetch_job(j).exc_info
                                       for j in failed.get_job_ids()]
        raise AssertionError("jobs kept coming")

    def work(self) -> None:
        """Run every queued job now, in this process (jobs get their own loop and thread)."""
        SimpleWorker([self.queue], connection=self.queue.connection).work(burst=True)

    async def advance(self, seconds: float) -> int:
        self.hub.clock.advance(seconds)
        return await self.run_due()


def engine_factory(hub, settings: Settings, smtp_port: int, gateway_url: str, *,
                   sms_timeout: float = 2):
    """The engine each job runs on: the hub's store prefix and fake clock, the rig's SMTP
    server and SMS gateway."""

    @asynccontextmanager
    async def engine():
        store = connect(settings.redis_url, settings.key_prefix)
        services = build_services(settings, store=store, clock=hub.clock, ccr=hub.services.ccr)
        text = WebhookSms(f"{gateway_url}/sms", "gateway-token", timeout=sms_timeout)
        channels = {"email": EmailSender("127.0.0.1", smtp_port, sender="hub@example.org",
                                          timeout=2), "sms": text}
        try:
            yield services.engine(channels, BASE_URL)
        finally:
            await text.close()
            await channels["email"].close()
            await services.close()

    return engine


@pytest.fixture
async def rig(hub, redis_url: str) -> AsyncIterator[Rig]:
    mail = Mailbox()
    smtp = Controller(mail, hostname="127.0.0.1", port=free_port())
    smtp.start()
    sms = Gateway()
    app = web.Application()
    app.router.add_post("/sms", sms.handle)
    gateway = ThreadedServer(app)
    prefix = hub.store.keys.prefix
    settings = Settings(redis_url=redis_url, key_prefix=prefix)
    runtime.install(engine_factory(hub, settings, smtp.port, gateway.url))
    connection = Redis.from_url(redis_url)
    queue = Queue(f"{prefix}-jobs", connection=connection)
    ticker = Ticker(hub.store, hub.clock, queue, hub.services.ladder, lease=60)
    try:
        yield Rig(hub, mail, sms, ticker, queue)
    finally:
        runtime.reset()
        for key in connection.scan_iter(match=f"rq:*{prefix}*"):
            connection.delete(key)
        connection.close()
        smtp.stop()
        gateway.stop()
