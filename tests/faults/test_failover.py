"""The primary SIGKILLed under a bounded submission load, with one replica under Sentinel:
a real `hub serve` (production: each change waits for the replica's AOF) and a real `hub
worker`, both given the Sentinel URL. Clients retry every unknown outcome with the same
envelope. Afterwards every referral answered 201 is on the new primary with its bytes, one
referral per envelope id; and escalation went on there: every rung fired, those that fell
due after the failover included, and every notice went out once (one handed to the mail
server as the primary died is recorded as sent on the new primary, not sent again)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from hub.build import build_services
from hub.clock import FakeClock
from hub.config import Settings
from hub.models import Consent
from hub.sandbox import install_world, make_world

from ..escalation.conftest import ThreadedServer
from .conftest import CANARY
from .harness import (
    EXAMPLE,
    Api,
    FlakyGateway,
    HubProcess,
    Ledger,
    ReplicaSet,
    Smtp,
    hub_env,
    seal_many,
    serve,
    submit_all,
    wait_for,
)
from .invariants import Evidence, check_invariants, stored_notices

SHELTER = (("mercy-hospital", "harbor-house", "discharge-handoff"),)
LOAD, CLIENTS, KILL_AT = 120, 8, 40  # submissions, clients, answers when the primary dies
PROBES = 3  # referrals whose backups' rung (an hour in) falls due after the failover
HOUR = 3600


async def submit_probes(services, world, ledger: Ledger, due_in: float) -> None:
    """Referrals submitted an hour ago, less ``due_in`` seconds: their second rung falls
    due ``due_in`` seconds from now."""
    services.clock.set(time.time() + due_in - HOUR)
    for sub in seal_many(world, PROBES, CANARY, now=int(services.clock.now()), routes=SHELTER):
        ledger.envelopes[sub.rid] = sub.sealed.envelope
        seen, created = await services.referrals.submit(
            sub.sender.principal(), sub.sealed.envelope,
            Consent.model_validate(sub.body["consent"]))
        assert created
        ledger.created[seen.referral.id] += 1


async def kill_primary(replica_set: ReplicaSet, ledger: Ledger) -> float:
    """Kill the primary; once Sentinel has promoted the replica, the old one comes back
    as its replica (until a replica holds them, changes are answered 503: none is
    acknowledged while on one copy only)."""
    await wait_for(lambda: len(ledger.answered) >= KILL_AT, f"{KILL_AT} answers")
    replica_set.primary.kill()
    killed = time.time()
    await wait_for(replica_set.failed_over, "the failover", 30)
    await asyncio.to_thread(replica_set.rejoin)
    return killed


@pytest.mark.slow
async def test_a_failover_under_load_loses_no_answered_referral_and_no_rung(
        replica_set: ReplicaSet, tmp_path: Path) -> None:
    prefix = f"failover-{uuid.uuid4().hex[:8]}"
    services = build_services(Settings(redis_url=replica_set.url, key_prefix=prefix,
                                       ccr_dir=EXAMPLE, data_dir=tmp_path / "var"),
                              clock=FakeClock(time.time()))
    world = make_world(services.ccr, int(time.time() - 2 * HOUR))  # before the probes
    await install_world(world, services)
    smtp, sms = Smtp(), FlakyGateway()
    gateway = ThreadedServer(sms.app())
    (tmp_path / "sms-token").write_text("gateway-token")
    env = hub_env(replica_set.url, prefix, tmp_path, HUB_MODE="production",
                  HUB_SMTP_PORT=str(smtp.port), HUB_SMS_GATEWAY_URL=f"{gateway.url}/sms",
                  HUB_SMS_TOKEN_FILE=str(tmp_path / "sms-token"), HUB_TIMER_LEASE="5",
                  HUB_NOTICE_LIMIT_PERSON="1000", HUB_NOTICE_LIMIT_AGENCY="1000",
                  HUB_PERSON_RATE_LIMIT="100000000")
    worker = HubProcess(("worker",), env, tmp_path / "worker.log").start()
    server, url = serve(env, tmp_path)
    ledger = Ledger()
    try:
        await submit_probes(services, world, ledger, due_in=8.0)
        subs = seal_many(world, LOAD, CANARY, routes=SHELTER)
        async with aiohttp.ClientSession() as session:
            api = Api(session, url)
            _, killed = await asyncio.gather(submit_all(api, subs, ledger, CLIENTS),
                                             kill_primary(replica_set, ledger))
            assert len(ledger.answered) == LOAD + PROBES and ledger.unknown
            expected = LOAD + PROBES * 3  # intake for each; the probes' night and director
            await wait_for(lambda: len(smtp.inbox.raw) + len(sms.texts) >= expected,
                           "every notice due", 60)
            await asyncio.sleep(6)  # past a lease: a rung fired twice would show by now
            worker.stop()
            services.clock.set(time.time())
            findings = await check_invariants(Evidence(
                services, world, CANARY, ledger, api, time.time(), mail=smtp.inbox.raw,
                texts=sms.texts, logs=[worker.log.read_text(), server.log.read_text()]),
                settled=False, every_notice_sent=True)
        assert all(n == 1 for n in findings.copies.values()), "a notice went out twice"
        notices = await stored_notices(services.store)
        assert findings.sent_groups() == expected, "a rung was missed"
        late = [n for n in notices.values() if n["step"] == "1"]
        assert len(late) == PROBES * 2 and all(float(n["created_at"]) > killed for n in late)
    finally:
        worker.stop()
        server.stop()
        smtp.stop()
        gateway.stop()
        await services.close()
