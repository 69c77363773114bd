"""Escalations under fire: real `hub worker` processes (one only working jobs, one also
running the ticker) are killed with SIGKILL at random moments while rungs fire and notices
go out, and restarted; a second ticker runs all along. Referrals submitted 3.5 hours ago
have several rungs due at once, so every step is claimed, fired, advanced and delivered
under the kills. Every notice due arrives at least once and at most twice (a step killed
after its send is re-fired when its lease runs out), no rung fires before its time, and
nothing is left in flight. Set FAULT_SEED to replay the kills of a failed run."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from hub.build import build_services
from hub.clock import FakeClock, SystemClock
from hub.config import Settings
from hub.escalation.ticker import Ticker
from hub.models import Consent
from hub.sandbox import install_world, make_world
from hub.store import Store, connect

from ..escalation.conftest import ThreadedServer
from .conftest import CANARY, LogLines
from .harness import (
    EXAMPLE,
    Api,
    FlakyGateway,
    HubProcess,
    Ledger,
    RedisProcess,
    Smtp,
    hub_env,
    seal_many,
    submit,
    wait_for,
)
from .invariants import Evidence, check_invariants, people_told, stored_notices, stored_referrals

LEASE = 2  # seconds a claimed step or delivery is held before the reaper hands it out again
AGO = 3.5 * 3600  # the referrals were submitted this long ago
# Notices due 3.5 h after an urgent referral: a shelter discharge handoff (2 h ladder,
# 2 rounds) has told intake, night, director, coordinator, intake, night, director; an
# advocacy request (1 h ladder, 1 round) has told the advocate, the lead, the coordinator.
DUE = {"harbor-house": 7, "bridge-advocacy": 3}
REFERRALS = 16
KILLS = 3
HOUR = 3600
SHELTER = (("mercy-hospital", "harbor-house", "discharge-handoff"),)
INTAKE, DIRECTOR = "intake@harbor.example.org", "director@harbor.example.org"
COORDINATOR = "coordinator@ccr.example.org"


async def submit_in_the_past(settings: Settings):
    """The CCR installed and REFERRALS referrals submitted AGO (on a fake clock)."""
    services = build_services(settings, clock=FakeClock(time.time() - AGO))
    world = make_world(services.ccr, int(services.clock.now()))
    await install_world(world, services)
    ledger = Ledger()
    for sub in seal_many(world, REFERRALS, CANARY):
        ledger.envelopes[sub.rid] = sub.sealed.envelope
        seen, created = await services.referrals.submit(
            sub.sender.principal(), sub.sealed.envelope, Consent.model_validate(
                sub.body["consent"]))
        referral = seen.referral
        assert created
        ledger.created[referral.id] += 1
    return services, world, ledger


async def told(store: Store) -> int:
    """People told of a rung so far (each counted once, however many copies)."""
    return people_told(await stored_notices(store))


async def kill_at_random(workers: list[HubProcess], sent, expected: int,
                         rng: random.Random) -> None:
    """Kill a random choice of the workers each time the notices sent pass a random mark,
    and start them again at once."""
    marks = sorted(rng.uniform(0.1, 0.8) * expected for _ in range(KILLS))
    for mark in marks:
        await wait_for(lambda mark=mark: sent() >= mark, f"{mark:.0f} notices sent")
        victims = rng.choice([workers[:1], workers[1:], workers])
        for proc in victims:
            proc.kill()
        await asyncio.sleep(rng.uniform(0, 0.3))
        for proc in victims:
            proc.start()


async def wait_until_told(services, expected: int, seconds: float = 45.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await told(services.store) >= expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"only {await told(services.store)} of {expected} people told")


@pytest.mark.slow
async def test_killed_workers_and_tickers_lose_no_notice_and_send_none_thrice(
        redis_server: RedisProcess, tmp_path: Path, hub_log: LogLines) -> None:
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
    print(f"FAULT_SEED={seed}")
    prefix = f"esc-{uuid.uuid4().hex[:8]}"
    smtp, sms = Smtp(), FlakyGateway()
    gateway = ThreadedServer(sms.app())
    (tmp_path / "sms-token").write_text("gateway-token")
    env = hub_env(redis_server.url, prefix, tmp_path, HUB_TIMER_LEASE=str(LEASE),
                  HUB_SMTP_PORT=str(smtp.port), HUB_SMS_GATEWAY_URL=f"{gateway.url}/sms",
                  HUB_SMS_TOKEN_FILE=str(tmp_path / "sms-token"),
                  HUB_NOTICE_LIMIT_PERSON="1000", HUB_NOTICE_LIMIT_AGENCY="1000")
    settings = Settings(redis_url=redis_server.url, key_prefix=prefix, ccr_dir=EXAMPLE,
                        data_dir=tmp_path / "var")
    services, world, ledger = await submit_in_the_past(settings)
    expected = sum(DUE[row["destination"]] for row in
                   (await stored_referrals(services.store)).values())
    workers = [HubProcess(("worker", "--no-ticker"), env, tmp_path / "jobs.log"),
               HubProcess(("worker",), env, tmp_path / "ticker.log")]
    connection = Redis.from_url(redis_server.url)
    stop = threading.Event()
    second = Ticker(connect(redis_server.url, prefix), SystemClock(),
                    Queue(f"{prefix}-jobs", connection=connection), services.ladder,
                    lease=LEASE)
    ticking = asyncio.create_task(second.run(stop))
    try:
        for proc in workers:
            proc.start()
        await kill_at_random(workers, lambda: len(smtp.inbox.raw) + len(sms.texts),
                             expected, random.Random(seed))
        await wait_until_told(services, expected)
        await asyncio.sleep(LEASE + 1)  # a step re-fired after a lease would show by now
        for proc in workers:
            proc.stop()
        stop.set()
        await ticking
        findings = await check_invariants(Evidence(
            services, world, CANARY, ledger, None, time.time(), mail=smtp.inbox.raw,
            texts=sms.texts, server=redis_server,
            logs=[*(p.log.read_text() for p in workers), "\n".join(hub_log.lines)]),
            every_notice_sent=True)
        assert findings.sent_groups() == expected, f"seed {seed}"
    finally:
        stop.set()
        for proc in workers:
            proc.stop()
        await asyncio.gather(ticking, return_exceptions=True)
        await second.store.close()
        connection.close()
        smtp.stop()
        gateway.stop()
        await services.close()


async def test_a_step_handed_out_twice_fires_no_later_rung_early(rig) -> None:
    """A worker stalls holding the backups' rung until its lease runs out, so the step is
    handed out again; when both jobs run, the rung fires once and the coordinator's rung,
    due an hour later, is not fired with it."""
    hub = rig.hub
    t0 = hub.clock.now()
    (sub,) = seal_many(hub.world, 1, CANARY, routes=SHELTER)
    assert await submit(Api(hub.client), sub, rig.ledger) == 201
    await rig.run_due()
    hub.clock.set(t0 + HOUR)
    assert await rig.ticker.tick() == 1  # claimed; the job waits in the queue ...
    hub.clock.advance(61)  # ... past its lease
    assert await rig.ticker.reap() == 1 and await rig.ticker.tick() == 1
    rig.work()
    assert sorted(rig.smtp.inbox.to()) == [DIRECTOR, INTAKE] and len(rig.sms.texts) == 1
    await rig.run_until(t0 + 2 * HOUR - 1)
    assert COORDINATOR not in rig.smtp.inbox.to(), "the coordinator was told an hour early"
    await rig.run_until(t0 + 2 * HOUR)
    assert rig.smtp.inbox.to().count(COORDINATOR) == 1
    await check_invariants(rig.evidence(), every_notice_sent=True)
