"""Fault-suite fixtures. `redis_server` is a Redis of the test's own, configured as
production (AOF, fsync always), so that its AOF can be searched and it can be killed or
paused without touching anyone else's; `fault_hub` is the shared `hub` fixture's app on it.
`rig` adds a real SMTP server, a loopback SMS gateway, the ticker and RQ workers on the
hub's fake clock, and captures the hub's log lines."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.escalation import runtime
from hub.escalation.ticker import Ticker
from hub.sandbox import install_world, make_world
from hub.store import connect
from hub.web.app import create_app

from ..conftest import Hub
from ..escalation.conftest import ThreadedServer, engine_factory
from .harness import EXAMPLE, Api, FlakyGateway, Ledger, RedisProcess, Smtp
from .invariants import Evidence

CANARY = f"CANARY-Jane-Roe-{uuid.uuid4().hex[:8]}"
SMS_TIMEOUT = 0.5  # seconds the hub waits for the SMS gateway in these tests


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def fault_hub(aiohttp_client, redis_server: RedisProcess, clock: FakeClock,
                    tmp_path: Path) -> AsyncIterator[Hub]:
    """The shared `hub` fixture's running app (the example CCR installed, a token for
    everyone, a fake clock), on the test's own Redis."""
    store = connect(redis_server.url, f"fault-{uuid.uuid4().hex[:8]}")
    settings = Settings(redis_url=redis_server.url, ccr_dir=EXAMPLE, data_dir=tmp_path / "var")
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    yield Hub(client, services, world, store, clock)
    await services.close()


class LogLines(logging.Handler):
    """Every log line the hub writes in this process, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def hub_log() -> Iterator[LogLines]:
    """The hub's own log lines from INFO up (and everyone's warnings)."""
    handler = LogLines()
    hub = logging.getLogger("hub")
    level = hub.level
    logging.getLogger().addHandler(handler)
    hub.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        hub.setLevel(level)


class BurstWorker(SimpleWorker):
    """RQ's SimpleWorker without its command listener: nobody sends a burst worker
    commands, and stopping the listener's thread may wait out a second-long join."""

    def subscribe(self) -> None:
        pass


@dataclass
class Rig:
    hub: Hub
    server: RedisProcess
    smtp: Smtp
    sms: FlakyGateway
    ticker: Ticker
    queue: Queue
    log: LogLines
    ledger: Ledger = field(default_factory=Ledger)

    async def run_due(self) -> int:
        """Tick and work the queue until nothing more is due at the clock's time."""
        total = 0
        for _ in range(30):
            await self.ticker.reap()
            handed = await self.ticker.tick()
            if not handed:
                return total
            total += handed
            self.work()
        raise AssertionError("jobs kept coming")

    def work(self) -> None:
        """Run every queued job now, in this process; no job may fail."""
        BurstWorker([self.queue], connection=self.queue.connection).work(burst=True)
        failed = self.queue.failed_job_registry
        assert failed.count == 0, [self.queue.fetch_job(j).exc_info
                                   for j in failed.get_job_ids()]

    async def run_until(self, when: float) -> int:
        """Move the clock from due time to due time up to ``when``, doing what falls due
        at each (no sleeping: the fake clock jumps to the next entry)."""
        clock, store, total = self.hub.clock, self.hub.store, 0
        while True:
            total += await self.run_due()
            soonest = await store.timers.soonest((store.keys.deadlines(),
                                                  store.keys.deliveries()))
            if soonest is None or soonest > when:
                clock.set(max(clock.now(), when))
                return total + await self.run_due()
            clock.set(max(clock.now(), soonest))

    def evidence(self) -> Evidence:
        hub = self.hub
        return Evidence(hub.services, hub.world, CANARY, self.ledger, Api(hub.client),
                        hub.clock.now(), mail=self.smtp.inbox.raw, texts=self.sms.texts,
                        logs=["\n".join(self.log.lines)], server=self.server)


@pytest.fixture
async def rig(fault_hub: Hub, redis_server: RedisProcess, hub_log: LogLines,
              tmp_path: Path) -> AsyncIterator[Rig]:
    hub = fault_hub
    smtp = Smtp()
    sms = FlakyGateway()
    gateway = ThreadedServer(sms.app())
    settings = Settings(redis_url=redis_server.url, key_prefix=hub.store.keys.prefix,
                        ccr_dir=EXAMPLE, data_dir=tmp_path / "var")
    runtime.install(engine_factory(hub, settings, smtp.port, gateway.url,
                                   sms_timeout=SMS_TIMEOUT))
    connection = Redis.from_url(redis_server.url)
    queue = Queue(f"{hub.store.keys.prefix}-jobs", connection=connection)
    ticker = Ticker(hub.store, hub.clock, queue, hub.services.ladder, lease=60)
    try:
        yield Rig(hub, redis_server, smtp, sms, ticker, queue, hub_log)
    finally:
        runtime.reset()
        connection.close()
        smtp.stop()
        gateway.stop()
