"""Escalation outlives Redis: a real `hub worker` (RQ worker, ticker, sealer) and a real
`hub serve`, and Redis (AOF, fsync always) SIGKILLed three times and restarted on its
data, then SIGSTOPped for ten seconds, each time while rungs fall due. After each outage
the worker is the same process, still running; every rung that fell due meanwhile fires
exactly once within ten seconds of Redis coming back; the sealer catches up; and
/healthz/engine answers 200 again.

Before: RQ left its loop on the first Redis error outside its wait for jobs (a
ConnectionError in its suspension check, a TimeoutError anywhere) and `hub worker`
exited 0 with its ticker and sealer; a claim Redis ran after a stall, its answer lost,
waited a whole lease (a minute) before its rung fired."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.escalation.ticker import Ticker
from hub.models import Consent
from hub.sandbox import install_world, make_world
from hub.store import connect

from ..escalation.conftest import ThreadedServer
from .conftest import CANARY
from .harness import (
    EXAMPLE,
    FlakyGateway,
    HubProcess,
    Ledger,
    RedisProcess,
    Smtp,
    hub_env,
    seal_many,
    serve,
)
from .invariants import Evidence, check_invariants

SHELTER = (("mercy-hospital", "harbor-house", "discharge-handoff"),)
INTAKE = "intake@harbor.example.org"  # an urgent handoff's first rung tells intake at once
PER_OUTAGE = 4  # referrals whose first rung falls due during each outage
LEAD = 0.6  # seconds after the outage begins that they fall due
KILLED_FOR = 2.0
PAUSED_FOR = 10.0
FIRES_WITHIN = 10.0  # seconds after Redis is back


def engine(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/healthz/engine", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except OSError:
        return 0, {}


class Scene:
    """The hub's processes around one Redis, and referrals submitted straight into the
    store on a clock set a little ahead, so that their first rungs fall due mid-outage."""

    def __init__(self, server: RedisProcess, tmp: Path):
        self.server = server
        self.prefix = f"outage-{uuid.uuid4().hex[:8]}"
        self.smtp = Smtp()
        self.sms = FlakyGateway()
        self.gateway = ThreadedServer(self.sms.app())
        (tmp / "sms-token").write_text("gateway-token")
        self.env = hub_env(server.url, self.prefix, tmp, HUB_SMTP_PORT=str(self.smtp.port),
                           HUB_SMS_GATEWAY_URL=f"{self.gateway.url}/sms",
                           HUB_SMS_TOKEN_FILE=str(tmp / "sms-token"), HUB_ENGINE_STALE="3",
                           HUB_NOTICE_LIMIT_PERSON="1000", HUB_NOTICE_LIMIT_AGENCY="1000")
        self.worker = HubProcess(("worker",), self.env, tmp / "worker.log")
        self.clock = FakeClock(time.time())
        self.services = build_services(
            Settings(redis_url=server.url, key_prefix=self.prefix, ccr_dir=EXAMPLE,
                     data_dir=tmp / "var"), clock=self.clock)
        self.ledger = Ledger()
        self.web = self.url = self.world = None

    async def start(self, tmp: Path) -> None:
        self.world = make_world(self.services.ccr, int(self.clock.now()))
        await install_world(self.world, self.services)
        self.worker.start()
        self.web, self.url = serve(self.env, tmp)
        await self.until_running()

    async def submit_due_in(self, seconds: float) -> None:
        self.clock.set(time.time() + seconds)
        for sub in seal_many(self.world, PER_OUTAGE, CANARY, now=int(self.clock.now()),
                             routes=SHELTER):
            self.ledger.envelopes[sub.rid] = sub.sealed.envelope
            seen, created = await self.services.referrals.submit(
                sub.sender.principal(), sub.sealed.envelope,
                Consent.model_validate(sub.body["consent"]))
            assert created
            self.ledger.created[seen.referral.id] += 1
        await self.services.store.redis.connection_pool.disconnect()  # before Redis goes

    def told(self) -> int:
        return sum(1 for raw in self.smtp.inbox.raw if f"To: {INTAKE}".encode() in raw)

    async def until_told(self, count: float, back: float) -> float:
        """Seconds from Redis coming back to ``count`` notices having arrived."""
        while self.told() < count:
            assert time.monotonic() - back < FIRES_WITHIN, (
                f"{self.told()} of {count} notices {FIRES_WITHIN:.0f} s after Redis came "
                f"back:\n{self.worker.log.read_text()[-3000:]}")
            await asyncio.sleep(0.05)
        return time.monotonic() - back

    async def until_running(self, seconds: float = 30.0) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            status, doc = await asyncio.to_thread(engine, self.url)
            if status == 200 and doc["sealer_backlog"] == 0:
                return doc
            assert time.monotonic() < deadline, f"/healthz/engine: {status} {doc}"
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        for proc in (self.worker, self.web):
            if proc is not None:
                proc.stop()
        self.smtp.stop()
        self.gateway.stop()
        await self.services.close()


@pytest.mark.slow
async def test_escalation_outlives_redis_killed_three_times_and_stalled(
        redis_server: RedisProcess, tmp_path: Path) -> None:
    scene = Scene(redis_server, tmp_path)
    try:
        await scene.start(tmp_path)
        pid = scene.worker.proc.pid
        took = []
        for outage in range(4):
            await scene.submit_due_in(LEAD)
            if outage < 3:
                redis_server.kill()
                await asyncio.sleep(KILLED_FOR)
                await asyncio.to_thread(redis_server.restart)
            else:
                redis_server.pause()
                await asyncio.sleep(PAUSED_FOR)
                redis_server.resume()
            back = time.monotonic()
            took.append(await scene.until_told(PER_OUTAGE * (outage + 1), back))
            assert scene.worker.running() and scene.worker.proc.pid == pid, \
                f"the worker did not outlive outage {outage + 1}"
            await scene.until_running()
        print(f"notices out {[f'{t:.1f}' for t in took]} s after Redis came back")
        await asyncio.sleep(1.0)  # a notice sent twice would have arrived by now
        assert scene.told() == 4 * PER_OUTAGE
        scene.worker.stop()
        scene.clock.set(time.time())
        # what else went out: the dead man's switch, to the operators and the coordinator,
        # when the ticker took longer than HUB_ENGINE_STALE to come back after an outage
        notices = [raw for raw in scene.smtp.inbox.raw if f"To: {INTAKE}".encode() in raw]
        findings = await check_invariants(Evidence(
            scene.services, scene.world, CANARY, scene.ledger, None, time.time(),
            mail=notices, server=redis_server,
            logs=[scene.worker.log.read_text(), scene.web.log.read_text()]),
            every_notice_sent=True)
        assert all(n == 1 for n in findings.copies.values()), "a notice was sent twice"
    finally:
        await scene.close()


async def test_a_claim_redis_ran_after_a_stall_goes_out_at_once_not_after_its_lease(
        rig, redis_server: RedisProcess) -> None:
    """The ticker's claim reached a stalled Redis, the ticker gave up waiting for the
    answer, and Redis ran the claim when it woke: the entries it took are in flight with
    nobody to fire them. The next tick finds them by the claim's token."""
    hub = rig.hub
    impatient = connect(redis_server.url, hub.store.keys.prefix, timeout=0.3)
    ticker = Ticker(impatient, hub.clock, rig.queue, hub.services.ladder, lease=60)
    try:
        assert await ticker.tick() == 0  # a running ticker: connected, its script loaded
        (sub,) = seal_many(hub.world, 1, CANARY, routes=SHELTER, now=int(hub.clock.now()))
        assert (await hub.client.post("/v1/referrals", json=sub.body,
                                      headers=sub.sender.auth)).status == 201
        redis_server.pause()
        with pytest.raises(RedisTimeoutError):
            await ticker.tick()
        redis_server.resume()
        inflight = hub.store.keys.inflight(hub.store.keys.deadlines())
        for _ in range(100):  # Redis runs what it was sent before the ticker gave up
            if await hub.store.redis.zcard(inflight):
                break
            await asyncio.sleep(0.01)
        assert await hub.store.redis.zcard(inflight) == 1
        assert await ticker.tick() == 1
        rig.work()
        assert [m["To"] for m in rig.smtp.inbox.messages()] == [INTAKE]
    finally:
        await impatient.close()
